"""``GET /v1/admin/services``: the upstreams and where each serves ``/metrics``, so that the
operations console can link to them (ADMIN only, like every ``/v1/admin/**``; ADR 0049).

Served by the gateway itself, not proxied: it checks the bearer token the way the pipeline
does, with the same verifier.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from commerce.gateway.jwks import KeysUnavailable
from commerce.gateway.routing import ADMIN_PREFIX, ADMIN_ROLE
from commerce.gateway.tokens import InvalidToken, TokenVerifier, bearer_token
from commerce.kernel.domain import DependencyUnavailable, Forbidden, Unauthorized


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
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            raise Unauthorized("A valid bearer token is required.")
        try:
            identity = verifier.cached(token) or await verifier.verify(token)
        except InvalidToken:
            raise Unauthorized("The bearer token is invalid or expired.") from None
        except KeysUnavailable:
            raise DependencyUnavailable("Tokens cannot be checked right now.") from None
        if ADMIN_ROLE not in identity.roles:
            raise Forbidden("Operations endpoints need the ADMIN role.", code="admin_only")

    router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin"])

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
