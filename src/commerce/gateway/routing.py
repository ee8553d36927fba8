"""The routing table and the access policy: which upstream serves a path, who may call it.

Only what the public contract names is routed; everything else (``/internal/...``, a
service's own ``/healthz``) is a 404 at the gateway. The access policy is an allow-list of
public operations: whatever is routed and not listed needs a valid bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

from commerce.kernel.admin import ADMIN_PATH_PREFIX

# The services with an outbox or consumers, hence an admin API under /v1/admin/<name>.
ADMIN_UPSTREAMS: tuple[str, ...] = ("user", "product", "order", "payment", "cart")


@dataclass(frozen=True)
class Route:
    """``prefix`` and everything below it (or exactly ``prefix`` when ``exact``)."""

    prefix: str
    upstream: str
    exact: bool = False

    def matches(self, path: str) -> bool:
        if path == self.prefix:
            return True
        return not self.exact and path.startswith(self.prefix + "/")

    def template_for(self, path: str) -> str:
        """The label of ``path`` in metrics and spans: bounded, never the raw path."""
        return self.prefix if path == self.prefix else self.prefix + "/{rest:path}"


ROUTES: tuple[Route, ...] = (
    Route("/v1/users", "user"),
    Route("/v1/auth", "auth"),
    Route("/v1/products", "product"),
    Route("/v1/orders", "order"),
    Route("/v1/cart", "cart"),
    Route("/.well-known/jwks.json", "auth", exact=True),
    # Each service's operations API, ADMIN only (docs/adr/0049); auth has none.
    *(Route(f"{ADMIN_PATH_PREFIX}/{name}", name) for name in ADMIN_UPSTREAMS),
)
UPSTREAMS: tuple[str, ...] = ("user", "auth", "product", "order", "payment", "cart")


def has_dot_segments(path: str) -> bool:
    """True for ``.``/``..`` segments, also percent-encoded ones.

    An HTTP client normalises ``/v1/users/../internal/x`` to ``/internal/x``; refusing such
    paths keeps the routing decision and the upstream's view of the path the same.
    """
    if "." not in path and "%" not in path:
        return False  # the common case, without decoding anything
    decoded = unquote(path)
    return any(segment in (".", "..") for segment in decoded.replace("\\", "/").split("/"))


def route_by_prefix(path: str, routes: tuple[Route, ...] = ROUTES) -> Route | None:
    """The route whose prefix covers ``path``, dot segments or not."""
    for route in routes:
        if route.matches(path):
            return route
    return None


def route_for(path: str, routes: tuple[Route, ...] = ROUTES) -> Route | None:
    """The route serving ``path`` (the decoded request path), if any."""
    if has_dot_segments(path):
        return None
    return route_by_prefix(path, routes)


def needs_admin(path: str) -> bool:
    """``/v1/admin/**``: refused at the gateway for a token without ADMIN (the service checks
    again; defence in depth)."""
    return path.startswith(ADMIN_PATH_PREFIX + "/") or path == ADMIN_PATH_PREFIX


class Access(Enum):
    PUBLIC = "public"  # a token is optional; a bad one is still refused (docs/adr/0030)
    PROTECTED = "protected"  # a valid token is required
    OWN_CREDENTIALS = "own-credentials"  # auth endpoints: the Authorization header is ignored


_READ_METHODS = frozenset({"GET", "HEAD"})


def access_for(method: str, path: str) -> Access:
    """Who may call ``method path``; anything not listed as public is protected."""
    if path == "/.well-known/jwks.json" or path == "/v1/auth" or path.startswith("/v1/auth/"):
        return Access.OWN_CREDENTIALS
    if method == "POST" and path == "/v1/users":
        return Access.PUBLIC
    is_products = path == "/v1/products" or path.startswith("/v1/products/")
    if is_products and method in _READ_METHODS:
        return Access.PUBLIC
    return Access.PROTECTED
