"""The gateway's own problem+json answers (the kernel's ``problem`` with fixed wording)."""

from __future__ import annotations

from starlette.responses import Response

from commerce.kernel.http.problems import ProblemResponse, problem

# nginx's "client closed request": not an HTTP status anyone receives, a record of how the
# exchange ended (docs/adr/0032).
CLIENT_CLOSED_REQUEST = 499

_UPSTREAM_DETAIL = {
    502: "The {name} service gave an invalid answer.",
    503: "The {name} service is unavailable. Try again shortly.",
    504: "The {name} service did not answer in time.",
}
_UPSTREAM_SLUG = {502: "bad-gateway", 503: "service-unavailable", 504: "gateway-timeout"}


def upstream_problem(
    upstream: str, status: int, *, retry_after: int | None = None
) -> ProblemResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return problem(
        status,
        _UPSTREAM_DETAIL[status].format(name=upstream),
        slug=_UPSTREAM_SLUG[status],
        headers=headers,
    )


def unauthorized(*, invalid: bool) -> ProblemResponse:
    """401 with an RFC 6750 challenge; ``invalid`` when a token was sent but refused."""
    if invalid:
        challenge = 'Bearer realm="commerce", error="invalid_token"'
        detail = "The bearer token is invalid or expired."
    else:
        challenge = 'Bearer realm="commerce"'
        detail = "A valid bearer token is required."
    return problem(401, detail, slug="unauthorized", headers={"WWW-Authenticate": challenge})


def keys_unavailable() -> ProblemResponse:
    return problem(
        503,
        "Tokens cannot be checked right now. Try again shortly.",
        slug="service-unavailable",
        headers={"Retry-After": "5"},
    )


def not_routed() -> ProblemResponse:
    return problem(404, "No such resource.", slug="not-found")


def circuit_open(upstream: str, retry_after: int) -> ProblemResponse:
    return problem(
        503,
        f"The {upstream} service is unavailable. Try again shortly.",
        slug="service-unavailable",
        headers={"Retry-After": str(retry_after)},
    )


def too_many_requests(retry_after: int) -> ProblemResponse:
    return problem(
        429,
        "Too many requests from this client. Slow down.",
        slug="rate-limited",
        headers={"Retry-After": str(retry_after)},
    )


def body_too_large(limit: int) -> ProblemResponse:
    return problem(
        413,
        f"The request body is larger than {limit} bytes.",
        slug="payload-too-large",
    )


def client_closed_request() -> Response:
    """The end of an exchange whose client went away: no body, nobody reads it."""
    return Response(status_code=CLIENT_CLOSED_REQUEST)
