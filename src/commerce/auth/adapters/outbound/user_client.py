"""The user service's internal API, over HTTP with one pooled client: the credential check
at sign-in and the user's current claims at refresh (docs/adr/0126)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from commerce.auth.application.ports import UserServiceUnavailable
from commerce.auth.domain.tokens import UserClaims
from commerce.kernel.http.peer_client import peer_client

VERIFY_PATH = "/internal/v1/credentials/verify"
USER_PATH = "/internal/v1/users/{user_id}"
# The problem type of the route's own 404: any other 404 (a user service that does not have
# the route yet, during a rolling upgrade) is not news that the user is gone.
_USER_NOT_FOUND_TYPE = "/user-not-found"
INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name
# The user service refuses bodies it cannot check (e.g. a password too long to be real) with
# 400/422: for sign-in those are wrong credentials too, not a fault.
_WRONG_CREDENTIALS = frozenset({400, 401, 422})
log = logging.getLogger("commerce.auth.user_client")


class _InternalClient:
    """Sends one internal request; transport failures and a refused internal token (a
    misconfiguration) are :class:`UserServiceUnavailable`."""

    def __init__(self, client: httpx.AsyncClient, *, internal_token: str | None = None) -> None:
        self._client = client
        self._headers = {INTERNAL_TOKEN_HEADER: internal_token} if internal_token else {}

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, headers=self._headers, **kwargs)
        except httpx.HTTPError as error:
            log.warning("user service unreachable: %s", type(error).__name__)
            raise UserServiceUnavailable() from error
        if response.status_code == 401 and _problem_type(response).endswith("/internal-only"):
            # Our X-Internal-Token is missing or wrong: a misconfiguration, not a refusal.
            log.error("user service refused the internal token (check AUTH_USER_SERVICE_TOKEN)")
            raise UserServiceUnavailable()
        return response


class HttpCredentialVerifier(_InternalClient):
    """Asks ``POST /internal/v1/credentials/verify``; 200 is a match, 401 is not."""

    async def verify(self, email: str, password: str) -> UserClaims | None:
        response = await self._send(
            "POST", VERIFY_PATH, json={"email": email, "password": password}
        )
        if response.status_code in _WRONG_CREDENTIALS:
            return None
        if response.status_code != 200:
            log.warning("user service answered %s to a credential check", response.status_code)
            raise UserServiceUnavailable()
        return _claims(response)


class HttpUserDirectory(_InternalClient):
    """Asks ``GET /internal/v1/users/{id}``: 200 is the user now, its own 404 is no user."""

    async def current_claims(self, user_id: str) -> UserClaims | None:
        path = USER_PATH.format(user_id=quote(user_id, safe=""))
        response = await self._send("GET", path)
        if response.status_code == 404 and _problem_type(response).endswith(_USER_NOT_FOUND_TYPE):
            return None
        if response.status_code != 200:
            log.warning("user service answered %s to a user lookup", response.status_code)
            raise UserServiceUnavailable()
        claims = _claims(response)
        if claims.user_id != user_id:
            log.error("user service answered a lookup with another user")
            raise UserServiceUnavailable()
        return claims


def _problem_type(response: httpx.Response) -> str:
    try:
        problem_type = response.json().get("type", "")
    except (ValueError, AttributeError):
        return ""
    return problem_type if isinstance(problem_type, str) else ""


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
        log.error("user service sent an unreadable user: %s", error)
        raise UserServiceUnavailable() from error


def user_service_client(
    base_url: str, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One pooled client for the life of the process (``transport`` is for tests); every
    sign-in and refresh goes through it, hence the bigger pool."""
    return peer_client(base_url, timeout_seconds, transport, max_connections=100)
