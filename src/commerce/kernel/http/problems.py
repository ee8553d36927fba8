"""RFC 9457 problem+json for every failure, from one table.

No response carries a stack trace, SQL or a host name: unexpected errors are logged with the
request id and answered with a bare 500 problem.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from commerce.kernel.domain import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
)
from commerce.kernel.http.allowed_methods import allow_header
from commerce.kernel.outages import outage_types

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://commerce.example/problems/"
log = logging.getLogger("commerce.http")

# The one table from domain error families to HTTP statuses.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (Unauthorized, 401),
    (InvalidInput, 422),
    (RateLimited, 429),
    (DependencyUnavailable, 503),
)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """Build a problem+json response; ``slug`` names the problem type."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def status_for(error: DomainError) -> int:
    for family, status in DOMAIN_STATUS:
        if isinstance(error, family):
            return status
    return 422


async def _domain_error(_: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)
    return domain_problem(exc)


def domain_problem(exc: DomainError) -> ProblemResponse:
    """The answer to a refused business rule, for a route that adds a header of its own."""
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, DependencyUnavailable):
        headers["Retry-After"] = "1"  # as for an infrastructure outage below
    status = status_for(exc)
    # The contract promises "errors" on every 422, not only on those the schema raised.
    errors = None
    if status == 422:
        field = exc.field if isinstance(exc, InvalidInput) else None
        errors = [{"field": field or "", "message": exc.message, "type": exc.code}]
    return problem(
        status, exc.message, slug=exc.code.replace("_", "-"), errors=errors, headers=headers
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        # "body.items.0.quantity" -> "items.0.quantity"; keep "query.limit" style for the rest.
        field = ".".join(location[1:] if location[:1] == ["body"] else location)
        fields.append(
            {
                "field": field,
                "message": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "")),
            }
        )
    return fields


async def _validation_error(_: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return problem(400, "The request body is not valid JSON.", slug="malformed-json")
    return problem(
        422,
        "The request does not match the expected schema.",
        slug="validation-error",
        errors=_field_errors(exc),
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        routes = request.app.router.routes
        headers["Allow"] = allow_header(routes, request.scope, headers.get("Allow", ""))
    return problem(exc.status_code, detail, headers=headers)


# A dependency that is down (database, Redis, a peer's socket) is a 503 the client may retry,
# not a 500: the request was fine, the platform could not serve it right now.
async def unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    if isinstance(exc, outage_types()):
        log.error(
            "dependency unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem(
            503,
            "A dependency of this service is unavailable; try again shortly.",
            slug="dependency-unavailable",
            headers={"Retry-After": "1"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "An unexpected error occurred.", slug="internal-error")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected_error)
