"""The HTTP adapters over fake use-case dependencies: status codes, shapes, validation."""

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from commerce.kernel.http.app import create_service_app
from commerce.user.adapters.inbound.http import router
from commerce.user.adapters.inbound.internal import internal_router
from commerce.user.application.change_role import GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.commands import GrantRole
from commerce.user.application.find_user import FindUserByEmailHandler
from commerce.user.application.get_profile import GetProfileHandler
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.application.use_cases import UserUseCases
from commerce.user.application.verify_credentials import VerifyCredentialsHandler
from commerce.user.domain.roles import Role
from tests.identity import VERIFIER, as_user
from tests.unit.user.fakes import (
    FakePasswordHasher,
    FakeUnitOfWorkFactory,
    fixed_clock,
    sequential_ids,
)

PASSWORD = "correct horse battery staple"
TOKEN = "internal-secret"


def build_app(token: str | None = None) -> FastAPI:
    uows, hasher = FakeUnitOfWorkFactory(), FakePasswordHasher()
    app = create_service_app(
        proofs=VERIFIER, title="user (test)", routers=[router, internal_router(token)], readiness={}
    )
    app.state.user_use_cases = UserUseCases(
        register_user=RegisterUserHandler(uows, hasher, fixed_clock, sequential_ids()),
        get_profile=GetProfileHandler(uows),
        verify_credentials=VerifyCredentialsHandler(uows, hasher, "fake$v1$dummy"),
        grant_role=GrantRoleHandler(uows),
        revoke_role=RevokeRoleHandler(uows),
        find_user_by_email=FindUserByEmailHandler(uows),
    )
    return app


async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://user") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(build_app()):
        yield client


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(build_app(TOKEN)):
        yield client


def as_identity(user: dict) -> dict[str, str]:
    return as_user(user["id"], user["email"], "USER")


async def test_sign_up_answers_201_with_the_profile_and_location(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/users", json={"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", "name", "roles", "created_at"}
    assert (body["email"], body["name"], body["roles"]) == ("ada@example.com", "Ada", ["USER"])
    assert body["created_at"].endswith("Z")
    datetime.fromisoformat(body["created_at"])
    assert response.headers["location"] == f"/v1/users/{body['id']}"


async def test_sign_up_without_name_gives_null_name(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/users", json={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json()["name"] is None


async def test_taken_email_is_a_409_problem(client: httpx.AsyncClient) -> None:
    first = {"email": "ada@example.com", "password": PASSWORD}
    assert (await client.post("/v1/users", json=first)).status_code == 201
    response = await client.post(
        "/v1/users", json={"email": "ADA@EXAMPLE.COM", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 409
    assert "ada@example.com" not in response.text.lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "x" * 129}, "password"),
        ({"email": "ada@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": PASSWORD, "roles": ["ADMIN"]}, "roles"),
        ({"email": "ada@example.com", "password": PASSWORD, "id": "mine"}, "id"),
        ({"email": 42, "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": 12345678}, "password"),
        ({"email": "ada@example.com", "password": PASSWORD, "name": ["Ada"]}, "name"),
        ({"email": "ada@example.com", "password": PASSWORD, "name": "   "}, "name"),
        ({"email": "ada@example.com", "password": PASSWORD, "name": "x" * 101}, "name"),
    ],
)
async def test_invalid_sign_up_is_a_422_problem_naming_the_field(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await client.post("/v1/users", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {error["field"] for error in problem["errors"]}
    assert PASSWORD not in response.text


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b'"text"', b"\xff\xfe"])
async def test_malformed_bodies_are_4xx_problems(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/v1/users", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_me_needs_an_identity(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/users/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_me_returns_the_profile(client: httpx.AsyncClient) -> None:
    created = (
        await client.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    ).json()
    response = await client.get("/v1/users/me", headers=as_identity(created))
    assert response.status_code == 200
    assert response.json() == created


async def test_me_for_a_vanished_user_is_404(client: httpx.AsyncClient) -> None:
    ghost = {"id": "00000000-0000-0000-0000-000000000000", "email": "ghost@example.com"}
    response = await client.get("/v1/users/me", headers=as_identity(ghost))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_location_resolves_for_the_owner_only(client: httpx.AsyncClient) -> None:
    ada = await client.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    bob = await client.post("/v1/users", json={"email": "bob@example.com", "password": PASSWORD})
    location = ada.headers["location"]
    assert (await client.get(location, headers=as_identity(ada.json()))).json() == ada.json()
    other = await client.get(location, headers=as_identity(bob.json()))
    missing = await client.get("/v1/users/nope", headers=as_identity(bob.json()))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert (await client.get(location)).status_code == 401


async def test_verify_credentials(client: httpx.AsyncClient) -> None:
    created = (
        await client.post(
            "/v1/users", json={"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
        )
    ).json()
    response = await client.post(
        "/internal/v1/credentials/verify", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "email": "ada@example.com",
        "name": "Ada",
        "roles": ["USER"],
    }


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    wrong = await client.post(
        "/internal/v1/credentials/verify",
        json={"email": "ada@example.com", "password": "wrong password"},
    )
    unknown = await client.post(
        "/internal/v1/credentials/verify",
        json={"email": "nobody@example.com", "password": PASSWORD},
    )
    garbage = await client.post(
        "/internal/v1/credentials/verify", json={"email": "garbage", "password": ""}
    )
    assert wrong.status_code == unknown.status_code == garbage.status_code == 401
    assert wrong.json() == unknown.json() == garbage.json()


async def test_verify_refuses_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/internal/v1/credentials/verify",
        json={"email": "ada@example.com", "password": PASSWORD, "roles": ["ADMIN"]},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("headers", [{}, {"X-Internal-Token": "wrong"}, {"X-Internal-Token": ""}])
async def test_internal_token_is_required_when_configured(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await guarded.post(
        "/internal/v1/credentials/verify",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["type"].endswith("/internal-only")


async def test_internal_token_lets_the_caller_in(guarded: httpx.AsyncClient) -> None:
    await guarded.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    response = await guarded.post(
        "/internal/v1/credentials/verify",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"X-Internal-Token": TOKEN},
    )
    assert response.status_code == 200


# --- the user's current claims, asked by auth at every refresh (docs/adr/0126) --------------


async def test_internal_user_gives_the_current_roles() -> None:
    app = build_app(TOKEN)
    async for client in client_for(app):
        created = (
            await client.post(
                "/v1/users", json={"email": "ada@example.com", "password": PASSWORD, "name": "A"}
            )
        ).json()
        path = f"/internal/v1/users/{created['id']}"
        internal = {"X-Internal-Token": TOKEN}
        before = await client.get(path, headers=internal)
        assert before.status_code == 200
        assert before.json() == {"id": created["id"], "email": "ada@example.com", "roles": ["USER"]}
        await app.state.user_use_cases.grant_role(GrantRole("ada@example.com", Role.STAFF))
        after = await client.get(path, headers=internal)
        assert after.json()["roles"] == ["USER", "STAFF"]


async def test_internal_user_unknown_id_is_the_routes_own_404(guarded: httpx.AsyncClient) -> None:
    response = await guarded.get(
        "/internal/v1/users/00000000-0000-0000-0000-000000000000",
        headers={"X-Internal-Token": TOKEN},
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/user-not-found")


@pytest.mark.parametrize("headers", [{}, {"X-Internal-Token": "wrong"}, {"X-Internal-Token": ""}])
async def test_internal_user_needs_the_internal_token(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = (
        await guarded.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    ).json()
    known = await guarded.get(f"/internal/v1/users/{created['id']}", headers=headers)
    unknown = await guarded.get("/internal/v1/users/nobody", headers=headers)
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()  # nothing about which ids exist
    assert known.json()["type"].endswith("/internal-only")
