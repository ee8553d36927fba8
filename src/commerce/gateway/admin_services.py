"""``GET /v1/admin/services``: the upstreams and where each serves ``/metrics``, so that the
operations console can link to them (ADMIN only, like every ``/v1/admin/**``; ADR 0049).

Served by the gateway itself, not proxied: it checks the bearer token with the pipeline's
verifier (``TokenVerifier.identity_of``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from commerce.gateway.jwks import KeysUnavailable
from commerce.gateway.tokens import InvalidToken, TokenVerifier
from commerce.kernel.admin import ADMIN_PATH_PREFIX
from commerce.kernel.domain import DependencyUnavailable, Forbidden, Unauthorized
from commerce.kernel.roles import Role


class ServiceOut(BaseModel):
    name: str
    metrics_url: str


class ServicesOut(BaseModel):
    items: list[ServiceOut]


def services_router(
    verifier: TokenVerifier, upstream_urls: dict[str, str], own_metrics_url: str
) -> APIRouter:
    """The route, over the gateway's ``verifier`` and its upstreams' base URLs."""

    async def admin_only(request: Request) -> None:
        try:
            identity = await verifier.identity_of(request.headers.get("authorization"))
        except InvalidToken:
            raise Unauthorized("The bearer token is invalid or expired.") from None
        except KeysUnavailable:
            raise DependencyUnavailable("Tokens cannot be checked right now.") from None
        if identity is None:
            raise Unauthorized("A valid bearer token is required.")
        if Role.ADMIN not in identity.roles:
            raise Forbidden("Operations endpoints need the ADMIN role.", code="admin_only")

    router = APIRouter(prefix=ADMIN_PATH_PREFIX, tags=["admin"])

    @router.get(
        "/services",
        response_model=ServicesOut,
        dependencies=[Depends(admin_only)],
        responses={
            401: {"description": "No valid bearer token."},
            403: {"description": "Not ADMIN."},
        },
    )
    async def services() -> ServicesOut:
        """Each process of the platform and its Prometheus endpoint (the gateway's own is on
        its admin port)."""
        items = [ServiceOut(name="gateway", metrics_url=own_metrics_url)]
        items += [
            ServiceOut(name=name, metrics_url=f"{url}/metrics")
            for name, url in upstream_urls.items()
        ]
        return ServicesOut(items=items)

    return router
