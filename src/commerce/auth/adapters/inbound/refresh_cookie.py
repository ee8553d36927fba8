"""The refresh token as an HttpOnly cookie, for the browsers that opt in (docs/adr/0024).

A page's JavaScript never sees the token: it travels in a ``SameSite=Strict`` cookie scoped
to the two paths that read it. Opting in takes a custom header, which no other site's page
can send here (that would need a CORS preflight, which nothing on the platform answers), and
a browser's ``Origin``, when it names one, must be an origin we serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from commerce.kernel.domain import Forbidden
from commerce.kernel.refresh_cookie import (
    REFRESH_COOKIE_NAME,
    REFRESH_COOKIE_PATHS,
    TRANSPORT_HEADER,
)

_TRANSPORT_NAME = TRANSPORT_HEADER.lower().encode("ascii")


class CrossOriginRequest(Forbidden):
    """A cookie-mode request from a page of an origin we do not serve."""

    def __init__(self) -> None:
        super().__init__(
            "The refresh cookie is for the storefront's own pages only.", code="cross_origin"
        )


@dataclass(frozen=True)
class RefreshCookies:
    """How the cookie is written and who may ask for it."""

    secure: bool
    allowed_origins: frozenset[str]

    def check_origin(self, origin: str | None) -> None:
        """Refuse a page of another origin. No ``Origin`` is no browser's cross-site request:
        browsers name the origin on every POST that is not a plain navigation."""
        if origin is not None and origin.strip().lower() not in self.allowed_origins:
            raise CrossOriginRequest()

    def hand_out(self, response: Response, token: str, max_age: int) -> None:
        """The token in one cookie per path (a cookie has one path)."""
        for path in REFRESH_COOKIE_PATHS:
            response.set_cookie(
                REFRESH_COOKIE_NAME,
                token,
                max_age=max_age,
                path=path,
                secure=self.secure,
                httponly=True,
                samesite="strict",
            )

    def clear(self, response: Response) -> None:
        """Both cookies expired at once (``Max-Age=0``)."""
        for path in REFRESH_COOKIE_PATHS:
            response.delete_cookie(
                REFRESH_COOKIE_NAME,
                path=path,
                secure=self.secure,
                httponly=True,
                samesite="strict",
            )


def opts_into_cookies(scope: Scope) -> bool:
    """Whether the request names a refresh-token transport at all (its value is checked by
    the route's schema: only ``cookie`` is taken)."""
    return any(name == _TRANSPORT_NAME for name, _ in scope["headers"])


class CookieTransportRoute(APIRoute):
    """A route taken only by requests that name a transport; the others go on to the
    route of the same path that reads the token from the body, exactly as before."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE or opts_into_cookies(scope):
            return match, child
        return Match.NONE, {}
