"""The ``Allow`` header of a 405: every method the path serves, not only one route's.

Starlette answers a method a path does not serve with the methods of the *first* route whose
path matches (``Allow: GET`` on ``/v1/products/{id}``, which also takes PATCH). A client (or
a generator trusting the OpenAPI document) reads ``Allow`` as the whole list (RFC 9110 10.2.1).

The router is asked, method by method, whether a route takes the request: that works however
the framework nests included routers.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

# RFC 9110's methods and PATCH (RFC 5789): whatever else a route takes, its own 405 names.
STANDARD_METHODS = ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")


def serves(routes: Iterable[BaseRoute], scope: Scope, method: str) -> bool:
    probe = {**scope, "method": method}
    return any(route.matches(probe)[0] is Match.FULL for route in routes)


def allow_header(routes: list[BaseRoute], scope: Scope, first_route_allows: str) -> str:
    """The ``Allow`` value for a 405 on ``scope``'s path; ``first_route_allows`` is the value
    the framework gave (the methods of the first route matching the path)."""
    methods = {method.strip() for method in first_route_allows.split(",") if method.strip()}
    methods.update(method for method in STANDARD_METHODS if serves(routes, scope, method))
    return ", ".join(sorted(methods))
