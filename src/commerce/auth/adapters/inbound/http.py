"""The public auth endpoints: sign-in, refresh, sign-out and the JWK Set.

These routes carry the refresh token in the body; a browser that opts into the HttpOnly cookie
is served by ``cookie_http`` instead (docs/adr/0024), and this module's documentation covers
both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from commerce.auth.adapters.inbound.refresh_cookie import RefreshCookies
from commerce.auth.application.commands import LogIn, LogOut, Refresh
from commerce.auth.application.throttle import LoginRateLimited
from commerce.auth.application.tokens import TokenPair
from commerce.auth.application.use_cases import AuthUseCases
from commerce.auth.domain.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
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
from commerce.kernel.refresh_cookie import REFRESH_COOKIE_NAME, TRANSPORT_HEADER
from commerce.kernel.revocation import REVOKED_SESSION_HEADER, SessionRevocation

MAX_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class AuthHttpContext:
    """What the endpoints need, put on ``app.state.auth`` by the bootstrap."""

    use_cases: AuthUseCases
    jwks: dict[str, Any]
    jwks_max_age_seconds: int
    cookies: RefreshCookies


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


class AccessTokenResponse(BaseModel):
    """The answer in cookie mode: the refresh token is in the cookie, never in the body."""

    model_config = ConfigDict(extra="forbid")

    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret
    access_token: str = Field(description="JWT signed with EdDSA; verify it with the JWKS.")
    expires_in: int = Field(description="Lifetime of the access token in seconds.")

    @classmethod
    def of(cls, pair: TokenPair) -> AccessTokenResponse:
        return cls(access_token=pair.access_token, expires_in=pair.expires_in)


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


def never_cached(response: Response) -> None:
    """RFC 6749 section 5.1: no cache keeps an answer that holds tokens."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


async def sign_in(body: LoginRequest, request: Request, context: AuthHttpContext) -> TokenPair:
    """The sign-in use case, with its failures counted, whatever the token's transport."""
    command = LogIn(
        email=body.email, password=body.password, client_address=client_address(request)
    )
    try:
        return await context.use_cases.log_in(command)
    except InvalidCredentials:
        record_login_failure("invalid_credentials")
        raise
    except LoginRateLimited as limited:
        record_login_failure("rate_limited")
        record_rate_limit_hit(limited.limit)
        raise


def refused_refresh(refused: InvalidRefreshToken) -> Response:
    """The 401 for any refused refresh token, plus the news for the gateway when the
    refusal revoked the session (docs/adr/0023)."""
    answer = domain_problem(refused)
    never_cached(answer)
    if refused.revocation is not None:
        answer.headers[REVOKED_SESSION_HEADER] = refused.revocation.header_value()
    return answer


def signed_out(revocation: SessionRevocation | None) -> Response:
    """The 204 of a sign-out, naming the revoked session for the gateway."""
    answer = Response(status_code=204)
    if revocation is not None:
        answer.headers[REVOKED_SESSION_HEADER] = revocation.header_value()
    return answer


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_NOT_JSON: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON", **_PROBLEM}
}
# The cookie mode, stated on the body-mode operations: one document for both (docs/adr/0024).
_CROSS_ORIGIN: dict[int | str, dict[str, Any]] = {
    403: {"description": "Cookie mode only: the request's Origin is not one we serve", **_PROBLEM}
}
_TRANSPORT = {
    "name": TRANSPORT_HEADER,
    "in": "header",
    "required": False,
    "description": "`cookie` opts a browser into the refresh cookie: the refresh token is set "
    f"as the HttpOnly, SameSite=Strict cookie `{REFRESH_COOKIE_NAME}` (one for the path of "
    "/v1/auth/refresh, one for /v1/auth/logout) and never appears in a body, and refresh and "
    "logout read it from that cookie. Without this header cookies are ignored and the token "
    "travels in the body.",
    "schema": {"type": "string", "enum": ["cookie"]},
}
_COOKIE = {
    "name": REFRESH_COOKIE_NAME,
    "in": "cookie",
    "required": False,
    "description": f"The refresh token, read only with `{TRANSPORT_HEADER}: cookie`.",
    "schema": {"type": "string"},
}
_SETS_COOKIES = {
    "Set-Cookie": {
        "description": f"Cookie mode only: `{REFRESH_COOKIE_NAME}` (the new refresh token) "
        "twice, `HttpOnly; SameSite=Strict; Secure`, `Path` /v1/auth/refresh and "
        "/v1/auth/logout, `Max-Age` the token's lifetime; `Max-Age=0` clears both.",
        "schema": {"type": "string"},
    }
}
_IN_COOKIE_MODE_THE_BODY_IS_IGNORED = (
    f" With `{TRANSPORT_HEADER}: cookie` the token is the cookie's: the body may be left out "
    "(or be `{}`), and a `refresh_token` in it is ignored."
)
router = APIRouter(tags=["auth"])


@router.post(
    "/v1/auth/login",
    response_model=TokenResponse | AccessTokenResponse,
    responses={
        200: {
            "description": "The pair; in cookie mode no `refresh_token` (it is in the cookie)",
            "headers": _SETS_COOKIES,
        },
        **_NOT_JSON,
        401: {"description": "Wrong e-mail or password (one answer for both)", **_PROBLEM},
        **_CROSS_ORIGIN,
        429: {"description": "Too many attempts; see Retry-After", **_PROBLEM},
        503: {"description": "The user service is unavailable", **_PROBLEM},
    },
    openapi_extra={"parameters": [_TRANSPORT]},
)
async def log_in(
    body: LoginRequest, request: Request, response: Response, context: Context
) -> TokenResponse:
    """Sign in with e-mail and password; returns an access token and a refresh token."""
    never_cached(response)
    return TokenResponse.of(await sign_in(body, request, context))


@router.post(
    "/v1/auth/refresh",
    response_model=TokenResponse | AccessTokenResponse,
    responses={
        200: {
            "description": "A new pair; in cookie mode no `refresh_token` (it is in the cookie)",
            "headers": _SETS_COOKIES,
        },
        **_NOT_JSON,
        401: {
            "description": "Invalid, expired, revoked or reused (in cookie mode also missing; "
            "the cookies are cleared)",
            "headers": _SETS_COOKIES,
            **_PROBLEM,
        },
        **_CROSS_ORIGIN,
        503: {
            "description": "The user service is unavailable; the refresh token is still "
            "valid, retry with it",
            **_PROBLEM,
        },
    },
    openapi_extra={"parameters": [_TRANSPORT, _COOKIE]},
    description="Exchange a refresh token for a new pair carrying the user's current roles. "
    "A reused token revokes its whole family." + _IN_COOKIE_MODE_THE_BODY_IS_IGNORED,
)
async def refresh(
    body: RefreshTokenRequest, response: Response, context: Context
) -> TokenResponse | Response:
    """Exchange a refresh token for a new pair carrying the user's current roles. A reused
    token revokes its whole family."""
    never_cached(response)
    try:
        pair = await context.use_cases.refresh(Refresh(body.refresh_token))
    except (RefreshTokenReused, RefreshUserUnknown) as revoked:
        return refused_refresh(revoked)
    return TokenResponse.of(pair)


@router.post(
    "/v1/auth/logout",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Signed out (cookie mode: cookies cleared)", "headers": _SETS_COOKIES},
        **_NOT_JSON,
        401: {
            "description": "Cookie mode only: no cookie, or one naming no token we know (the "
            "cookies are cleared)",
            "headers": _SETS_COOKIES,
            **_PROBLEM,
        },
        **_CROSS_ORIGIN,
    },
    openapi_extra={"parameters": [_TRANSPORT, _COOKIE]},
    description="Revoke the refresh token's family, and with it the access tokens of that "
    "sign-in. 204 also for a token we do not know (in cookie mode a 401, so that the page "
    "learns its cookie was dead)." + _IN_COOKIE_MODE_THE_BODY_IS_IGNORED,
)
async def log_out(body: RefreshTokenRequest, context: Context) -> Response:
    """Revoke the refresh token's family (see the description above)."""
    return signed_out(await context.use_cases.log_out(LogOut(body.refresh_token)))


@router.get("/v1/auth/jwks", response_model=JsonWebKeySet)
@router.get("/.well-known/jwks.json", response_model=JsonWebKeySet, include_in_schema=False)
async def jwks(context: Context) -> JSONResponse:
    """The public keys that verify access tokens (more than one during a key rotation)."""
    return JSONResponse(
        context.jwks,
        headers={"Cache-Control": f"public, max-age={context.jwks_max_age_seconds}"},
    )
