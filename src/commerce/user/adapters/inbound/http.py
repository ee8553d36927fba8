"""The public API (``/v1/users``), reached by clients through the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from commerce.kernel.http.identity import CurrentIdentity
from commerce.user.adapters.inbound.dependencies import UseCases
from commerce.user.adapters.inbound.schemas import SignUpRequest, UserResponse
from commerce.user.application.commands import GetProfile, RegisterUser
from commerce.user.domain.errors import UserNotFound

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserResponse,
    responses={
        400: {"description": "The body is not valid JSON.", **PROBLEM},
        409: {"description": "The e-mail is already registered (in any case).", **PROBLEM},
        422: {"description": "Invalid e-mail, password not 8..128 characters.", **PROBLEM},
    },
    summary="Sign up",
)
async def sign_up(body: SignUpRequest, response: Response, cases: UseCases) -> UserResponse:
    view = await cases.register_user(
        RegisterUser(email=body.email, password=body.password, name=body.name)
    )
    response.headers["Location"] = f"{router.prefix}/{view.id}"
    return UserResponse.of(view)


@router.get(
    "/me",
    response_model=UserResponse,
    responses={
        401: {"description": "No valid bearer token.", **PROBLEM},
        404: {"description": "The account no longer exists.", **PROBLEM},
    },
    summary="The caller's profile",
)
async def me(identity: CurrentIdentity, cases: UseCases) -> UserResponse:
    return UserResponse.of(await cases.get_profile(GetProfile(user_id=identity.user_id)))


@router.get(
    "/{user_id}",
    response_model=UserResponse,
    responses={
        401: {"description": "No valid bearer token.", **PROBLEM},
        404: {"description": "No such user visible to the caller.", **PROBLEM},
    },
    summary="A profile by id (the caller's own only; what Location points to)",
)
async def by_id(user_id: str, identity: CurrentIdentity, cases: UseCases) -> UserResponse:
    # Someone else's id answers exactly like an unknown one: no existence leak.
    if user_id != identity.user_id:
        raise UserNotFound()
    return UserResponse.of(await cases.get_profile(GetProfile(user_id=user_id)))
