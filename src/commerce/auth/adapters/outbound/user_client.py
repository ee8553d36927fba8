"""The user service's credential check, over HTTP with one pooled client."""

from __future__ import annotations

import logging

import httpx

from commerce.auth.application.ports import UserServiceUnavailable
from commerce.auth.domain.tokens import UserClaims
from commerce.kernel.http.request_id import forward_request_id

VERIFY_PATH = "/internal/v1/credentials/verify"
INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name
# The user service refuses bodies it cannot check (e.g. a password too long to be real) with
# 400/422: for sign-in those are wrong credentials too, not a fault.
_WRONG_CREDENTIALS = frozenset({400, 401, 422})
log = logging.getLogger("commerce.auth.user_client")


class HttpCredentialVerifier:
    """Asks ``POST /internal/v1/credentials/verify``; 200 is a match, 401 is not."""

    def __init__(self, client: httpx.AsyncClient, *, internal_token: str | None = None) -> None:
        self._client = client
        self._headers = {INTERNAL_TOKEN_HEADER: internal_token} if internal_token else {}

    async def verify(self, email: str, password: str) -> UserClaims | None:
        try:
            response = await self._client.post(
                VERIFY_PATH, json={"email": email, "password": password}, headers=self._headers
            )
        except httpx.HTTPError as error:
            log.warning("user service unreachable: %s", type(error).__name__)
            raise UserServiceUnavailable() from error
        if response.status_code == 401 and _refused_as_outsider(response):
            # Our X-Internal-Token is missing or wrong: a misconfiguration, not a bad password.
            log.error("user service refused the internal token (check AUTH_USER_SERVICE_TOKEN)")
            raise UserServiceUnavailable()
        if response.status_code in _WRONG_CREDENTIALS:
            return None
        if response.status_code != 200:
            log.warning("user service answered %s to a credential check", response.status_code)
            raise UserServiceUnavailable()
        return _claims(response)


def _refused_as_outsider(response: httpx.Response) -> bool:
    try:
        problem_type = response.json().get("type", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(problem_type, str) and problem_type.endswith("/internal-only")


def _claims(response: httpx.Response) -> UserClaims:
    try:
        body = response.json()
        roles = body["roles"]
        if not isinstance(roles, list):
            raise TypeError("roles is not a list")
        return UserClaims(
            user_id=str(body["id"]),
            email=str(body["email"]),
            roles=tuple(str(role) for role in roles),
        )
    except (ValueError, KeyError, TypeError) as error:
        log.error("user service sent an unreadable credential answer: %s", error)
        raise UserServiceUnavailable() from error


def user_service_client(
    base_url: str, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One pooled client for the life of the process (``transport`` is for tests)."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        event_hooks={"request": [forward_request_id]},
    )
