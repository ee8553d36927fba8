"""The public auth endpoints: sign-in, refresh, sign-out and the JWK Set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from commerce.auth.application.commands import LogIn, LogOut, Refresh
from commerce.auth.application.throttle import LoginRateLimited
from commerce.auth.application.tokens import TokenPair
from commerce.auth.application.use_cases import AuthUseCases
from commerce.auth.domain.errors import (
    InvalidCredentials,
    RefreshTokenReused,
    RefreshUserUnknown,
)
from commerce.kernel.http.gateway_proof import GatewayProof
from commerce.kernel.http.problems import domain_problem
from commerce.kernel.http.schemas import RequestBody
from commerce.kernel.observability.platform_metrics import (
    record_login_failure,
    record_rate_limit_hit,
)
from commerce.kernel.revocation import REVOKED_SESSION_HEADER

MAX_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class AuthHttpContext:
    """What the endpoints need, put on ``app.state.auth`` by the bootstrap."""

    use_cases: AuthUseCases
    jwks: dict[str, Any]
    jwks_max_age_seconds: int


async def _context(request: Request) -> AuthHttpContext:
    context: AuthHttpContext = request.app.state.auth
    return context


Context = Annotated[AuthHttpContext, Depends(_context)]


class LoginRequest(RequestBody):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshTokenRequest(RequestBody):
    refresh_token: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret
    access_token: str = Field(description="JWT signed with EdDSA; verify it with the JWKS.")
    refresh_token: str = Field(description="Opaque, single use; exchange it at /refresh.")
    expires_in: int = Field(description="Lifetime of the access token in seconds.")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class JsonWebKey(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]


def client_address(request: Request) -> str:
    """The caller as the gateway's signed proof gives it, else the TCP peer.

    Never ``X-Forwarded-For``: anybody who reaches this port could write it, and a new
    address per attempt would escape the per-address login limit (docs/adr/0038)."""
    proof = request.scope.get("state", {}).get("gateway_proof")
    if isinstance(proof, GatewayProof):
        return proof.client_address[:MAX_ADDRESS_LENGTH]
    return request.client.host if request.client else "unknown"


def _never_cached(response: Response) -> None:
    """RFC 6749 section 5.1: no cache keeps an answer that holds tokens."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_NOT_JSON: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON", **_PROBLEM}
}
router = APIRouter(tags=["auth"])


@router.post(
    "/v1/auth/login",
    response_model=TokenResponse,
    responses={
        **_NOT_JSON,
        401: {"description": "Wrong e-mail or password (one answer for both)", **_PROBLEM},
        429: {"description": "Too many attempts; see Retry-After", **_PROBLEM},
        503: {"description": "The user service is unavailable", **_PROBLEM},
    },
)
async def log_in(
    body: LoginRequest, request: Request, response: Response, context: Context
) -> TokenResponse:
    """Sign in with e-mail and password; returns an access token and a refresh token."""
    _never_cached(response)
    command = LogIn(
        email=body.email, password=body.password, client_address=client_address(request)
    )
    try:
        pair = await context.use_cases.log_in(command)
    except InvalidCredentials:
        record_login_failure("invalid_credentials")
        raise
    except LoginRateLimited as limited:
        record_login_failure("rate_limited")
        record_rate_limit_hit(limited.limit)
        raise
    return TokenResponse.of(pair)


@router.post(
    "/v1/auth/refresh",
    response_model=TokenResponse,
    responses={
        **_NOT_JSON,
        401: {"description": "Invalid, expired, revoked or reused", **_PROBLEM},
        503: {
            "description": "The user service is unavailable; the refresh token is still "
            "valid, retry with it",
            **_PROBLEM,
        },
    },
)
async def refresh(
    body: RefreshTokenRequest, response: Response, context: Context
) -> TokenResponse | Response:
    """Exchange a refresh token for a new pair carrying the user's current roles. A reused
    token revokes its whole family."""
    _never_cached(response)
    try:
        pair = await context.use_cases.refresh(Refresh(body.refresh_token))
    except (RefreshTokenReused, RefreshUserUnknown) as revoked:
        # The same 401 as any refused token, plus the news for the gateway (0023).
        refused = domain_problem(revoked)
        _never_cached(refused)
        if revoked.revocation is not None:
            refused.headers[REVOKED_SESSION_HEADER] = revoked.revocation.header_value()
        return refused
    return TokenResponse.of(pair)


@router.post("/v1/auth/logout", status_code=204, response_class=Response, responses=_NOT_JSON)
async def log_out(body: RefreshTokenRequest, context: Context) -> Response:
    """Revoke the refresh token's family, and with it the access tokens of that sign-in.
    204 also for a token we do not know."""
    revocation = await context.use_cases.log_out(LogOut(body.refresh_token))
    answer = Response(status_code=204)
    if revocation is not None:
        answer.headers[REVOKED_SESSION_HEADER] = revocation.header_value()
    return answer


@router.get("/v1/auth/jwks", response_model=JsonWebKeySet)
@router.get("/.well-known/jwks.json", response_model=JsonWebKeySet, include_in_schema=False)
async def jwks(context: Context) -> JSONResponse:
    """The public keys that verify access tokens (more than one during a key rotation)."""
    return JSONResponse(
        context.jwks,
        headers={"Cache-Control": f"public, max-age={context.jwks_max_age_seconds}"},
    )
