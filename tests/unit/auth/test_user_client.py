"""The user service client over httpx.MockTransport: match, no match, and every way it fails."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from commerce.auth.adapters.outbound.user_client import (
    HttpCredentialVerifier,
    HttpUserDirectory,
    user_service_client,
)
from commerce.auth.application.ports import UserServiceUnavailable
from commerce.auth.domain.tokens import UserClaims

Handler = Callable[[httpx.Request], httpx.Response]
USER = {"id": "u1", "email": "a@example.com", "name": None, "roles": ["USER", "ADMIN"]}


def mock_client(handler: Handler) -> httpx.AsyncClient:
    return user_service_client("http://user.test", 1.0, transport=httpx.MockTransport(handler))


def verifier(handler: Handler, token: str | None = None) -> HttpCredentialVerifier:
    return HttpCredentialVerifier(mock_client(handler), internal_token=token)


async def test_a_match_gives_the_users_claims() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=USER)

    claims = await verifier(handler).verify("a@example.com", "pw")
    assert claims == UserClaims(user_id="u1", email="a@example.com", roles=("USER", "ADMIN"))
    [request] = seen
    assert request.method == "POST"
    assert request.url.path == "/internal/v1/credentials/verify"
    assert json.loads(request.content) == {"email": "a@example.com", "password": "pw"}
    assert "x-internal-token" not in request.headers


async def test_the_internal_token_is_sent_when_configured() -> None:
    tokens: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers.get("x-internal-token"))
        return httpx.Response(200, json=USER)

    await verifier(handler, token="s3cret").verify("a@example.com", "pw")
    assert tokens == ["s3cret"]


@pytest.mark.parametrize("status", [400, 401, 422])
async def test_a_refusal_is_no_match(status: int) -> None:
    result = await verifier(lambda _: httpx.Response(status)).verify("a@example.com", "pw")
    assert result is None


@pytest.mark.parametrize("status", [403, 404, 429, 500, 502, 503])
async def test_other_answers_mean_unavailable(status: int) -> None:
    with pytest.raises(UserServiceUnavailable):
        await verifier(lambda _: httpx.Response(status)).verify("a@example.com", "pw")


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
async def test_transport_failures_mean_unavailable(error: Exception) -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(UserServiceUnavailable):
        await verifier(handler).verify("a@example.com", "pw")


@pytest.mark.parametrize(
    "body", [b"not json", b"{}", json.dumps({**USER, "roles": "USER"}).encode()]
)
async def test_an_unreadable_match_means_unavailable(body: bytes) -> None:
    with pytest.raises(UserServiceUnavailable):
        await verifier(lambda _: httpx.Response(200, content=body)).verify("a@example.com", "pw")


async def test_a_refused_internal_token_is_a_fault_not_a_wrong_password() -> None:
    refusal = {"type": "https://commerce.example/problems/internal-only", "status": 401}
    with pytest.raises(UserServiceUnavailable):
        await verifier(lambda _: httpx.Response(401, json=refusal), token="wrong").verify(
            "a@example.com", "pw"
        )
    wrong_password = {"type": "https://commerce.example/problems/invalid-credentials"}
    answer = verifier(lambda _: httpx.Response(401, json=wrong_password))
    assert await answer.verify("a@example.com", "pw") is None


# --- the user's current claims, at refresh (docs/adr/0126) ---------------------------------

NOT_FOUND = {"type": "https://commerce.example/problems/user-not-found", "status": 404}


def directory(handler: Handler, token: str | None = None) -> HttpUserDirectory:
    return HttpUserDirectory(mock_client(handler), internal_token=token)


async def test_the_current_claims_come_from_the_internal_user_route() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "u1", "email": "a@example.com", "roles": ["USER"]})

    claims = await directory(handler, token="s3cret").current_claims("u1")
    assert claims == UserClaims(user_id="u1", email="a@example.com", roles=("USER",))
    [request] = seen
    assert (request.method, request.url.path) == ("GET", "/internal/v1/users/u1")
    assert request.headers["x-internal-token"] == "s3cret"


async def test_the_user_id_cannot_change_the_path() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(404, json=NOT_FOUND)

    assert await directory(handler).current_claims("../credentials/verify") is None
    assert paths == ["/internal/v1/users/..%2Fcredentials%2Fverify"]


async def test_the_routes_own_404_means_the_user_is_gone() -> None:
    assert (
        await directory(lambda _: httpx.Response(404, json=NOT_FOUND)).current_claims("u1") is None
    )


@pytest.mark.parametrize(
    "response",
    [
        # A user service without the route (a rolling upgrade): not news that the user is gone.
        httpx.Response(404, json={"type": "https://commerce.example/problems/not-found"}),
        httpx.Response(404),
        httpx.Response(401, json={"type": "https://commerce.example/problems/internal-only"}),
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json={"id": "u1", "email": "a@example.com", "roles": "USER"}),
        # Somebody else's claims are never put in this user's token.
        httpx.Response(200, json={"id": "u2", "email": "b@example.com", "roles": ["ADMIN"]}),
    ],
)
async def test_any_other_answer_means_unavailable(response: httpx.Response) -> None:
    with pytest.raises(UserServiceUnavailable):
        await directory(lambda _: response).current_claims("u1")


async def test_an_unreachable_user_service_is_unavailable_at_refresh_too() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(UserServiceUnavailable):
        await directory(handler).current_claims("u1")
