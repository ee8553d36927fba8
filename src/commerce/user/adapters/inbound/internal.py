"""The internal API, for the auth service only (the gateway routes nothing under /internal).

Production keeps it private with mesh policy; ``USER_INTERNAL_API_TOKEN`` adds a shared
secret in ``X-Internal-Token`` as defence in depth.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from commerce.kernel.domain import Unauthorized
from commerce.user.adapters.inbound.dependencies import UseCases
from commerce.user.adapters.inbound.schemas import (
    InternalUserResponse,
    VerifiedUserResponse,
    VerifyCredentialsRequest,
)
from commerce.user.application.commands import GetProfile, VerifyCredentials

INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name, not a secret
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def internal_router(token: str | None) -> APIRouter:
    """The ``/internal/v1`` routes; with ``token`` set, callers must present it."""

    async def caller_is_trusted(
        x_internal_token: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> None:
        if token is None:
            return
        presented = (x_internal_token or "").encode()
        if not hmac.compare_digest(presented, token.encode()):
            raise Unauthorized("This endpoint is internal.", code="internal_only")

    router = APIRouter(
        prefix="/internal/v1", tags=["internal"], dependencies=[Depends(caller_is_trusted)]
    )

    @router.post(
        "/credentials/verify",
        response_model=VerifiedUserResponse,
        responses={401: {"description": "Wrong e-mail or password (one answer).", **PROBLEM}},
        summary="Check an e-mail and password (auth service only)",
    )
    async def verify_credentials(
        body: VerifyCredentialsRequest, cases: UseCases
    ) -> VerifiedUserResponse:
        view = await cases.verify_credentials(
            VerifyCredentials(email=body.email, password=body.password)
        )
        return VerifiedUserResponse.of(view)

    @router.get(
        "/users/{user_id}",
        response_model=InternalUserResponse,
        responses={404: {"description": "No user has this id (any more).", **PROBLEM}},
        summary="A user's current id, e-mail and roles (auth service only, at refresh)",
    )
    async def user_by_id(user_id: str, cases: UseCases) -> InternalUserResponse:
        # Read on every token refresh, so a role granted or revoked since sign-in reaches the
        # next access token (docs/adr/0126).
        return InternalUserResponse.of(await cases.get_profile(GetProfile(user_id=user_id)))

    return router
