"""Sign-in, refresh and sign-out for a browser that keeps the refresh token in an HttpOnly
cookie (docs/adr/0024).

Taken only by requests that send ``X-Refresh-Token-Transport`` (any other value than
``cookie`` is a 422); the body-mode routes of ``http`` document both modes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Header, Request, Response
from fastapi.responses import JSONResponse

from commerce.auth.adapters.inbound.http import (
    AccessTokenResponse,
    Context,
    LoginRequest,
    never_cached,
    refused_refresh,
    sign_in,
    signed_out,
)
from commerce.auth.adapters.inbound.refresh_cookie import CookieTransportRoute, RefreshCookies
from commerce.auth.application.commands import LogOut, Refresh
from commerce.auth.application.tokens import TokenPair
from commerce.auth.domain.errors import InvalidRefreshToken
from commerce.kernel.refresh_cookie import REFRESH_COOKIE_NAME, TRANSPORT_HEADER

Transport = Annotated[Literal["cookie"], Header(alias=TRANSPORT_HEADER)]
CookieToken = Annotated[str | None, Cookie(alias=REFRESH_COOKIE_NAME)]

cookie_router = APIRouter(tags=["auth"], route_class=CookieTransportRoute)


def _handed_out(cookies: RefreshCookies, pair: TokenPair) -> Response:
    """The access token in the body; the refresh token in the cookies only."""
    answer = JSONResponse(AccessTokenResponse.of(pair).model_dump())
    never_cached(answer)
    cookies.hand_out(answer, pair.refresh_token, pair.refresh_expires_in)
    return answer


@cookie_router.post("/v1/auth/login", include_in_schema=False)
async def log_in_with_cookie(
    body: LoginRequest, request: Request, transport: Transport, context: Context
) -> Response:
    context.cookies.check_origin(request.headers.get("origin"))
    return _handed_out(context.cookies, await sign_in(body, request, context))


@cookie_router.post("/v1/auth/refresh", include_in_schema=False)
async def refresh_with_cookie(
    request: Request, transport: Transport, context: Context, token: CookieToken = None
) -> Response:
    context.cookies.check_origin(request.headers.get("origin"))
    try:
        if token is None:
            raise InvalidRefreshToken()
        pair = await context.use_cases.refresh(Refresh(token))
    except InvalidRefreshToken as refused:
        # A cookie that cannot refresh is dead: the browser may as well forget it.
        answer = refused_refresh(refused)
        context.cookies.clear(answer)
        return answer
    return _handed_out(context.cookies, pair)


@cookie_router.post("/v1/auth/logout", status_code=204, include_in_schema=False)
async def log_out_with_cookie(
    request: Request, transport: Transport, context: Context, token: CookieToken = None
) -> Response:
    context.cookies.check_origin(request.headers.get("origin"))
    revocation = None
    if token is not None:
        revocation = await context.use_cases.log_out(LogOut(token))
    # Unlike the body mode's 204 for a token we do not know: the page learns that its cookie
    # was dead, which /refresh would tell it anyway (no new oracle).
    answer = signed_out(revocation) if revocation else refused_refresh(InvalidRefreshToken())
    context.cookies.clear(answer)
    return answer
