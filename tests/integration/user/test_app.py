"""The real user service (bootstrap, lifespan, argon2, database) over ASGI, on both backends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from commerce.kernel.db import Database
from commerce.user.adapters.outbound.tables import users
from commerce.user.application.commands import GrantRole, RevokeRole
from commerce.user.bootstrap import SERVICE_PACKAGE, create_app
from commerce.user.domain.roles import Role
from commerce.user.settings import Settings
from tests.identity import as_user
from tests.integration.conftest import serving
from tests.openapi_agreement import request_body

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
VERIFY = "/internal/v1/credentials/verify"
INTERNAL_TOKEN = "test-internal-token-" + "x" * 20
INTERNAL = {"X-Internal-Token": INTERNAL_TOKEN}


async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client


def settings_for(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    overrides.setdefault("internal_api_token", INTERNAL_TOKEN)
    return Settings(database_url=url, var_dir=tmp_path, **overrides)


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in running(settings_for(database_url, tmp_path)):
        yield client


async def test_ready_once_started(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


async def test_sign_up_verify_and_read_the_profile(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/v1/users", json={"email": " Ada@Example.com", "password": PASSWORD, "name": "Ada"}
    )
    assert created.status_code == 201, created.text
    user = created.json()
    verified = await client.post(
        VERIFY, headers=INTERNAL, json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert verified.status_code == 200
    assert verified.json() == {k: user[k] for k in ("id", "email", "name", "roles")}
    me = await client.get("/v1/users/me", headers=as_user(user["id"]))
    assert me.status_code == 200
    assert me.json() == user


async def test_concurrent_sign_ups_with_one_email_create_one_user(
    client: httpx.AsyncClient,
) -> None:
    spellings = ["race@example.com", "RACE@example.com", "Race@Example.com", " race@EXAMPLE.com"]
    responses = await asyncio.gather(
        *(client.post("/v1/users", json={"email": e, "password": PASSWORD}) for e in spellings)
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]


async def test_wrong_password_and_unknown_email_answer_alike(client: httpx.AsyncClient) -> None:
    await client.post("/v1/users", json={"email": "ada@example.com", "password": PASSWORD})
    wrong = await client.post(
        VERIFY, headers=INTERNAL, json={"email": "ada@example.com", "password": "nope nope"}
    )
    unknown = await client.post(
        VERIFY, headers=INTERNAL, json={"email": "who@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def stored_hash(database_url: str, user_id: str) -> str:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=False)
    try:
        async with database.connections() as session:
            query = select(users.c.password_hash).where(users.c.id == user_id)
            return str((await session.execute(query)).scalar_one())
    finally:
        await database.close()


async def test_verify_upgrades_a_hash_made_with_older_parameters(
    database_url: str, tmp_path: Path
) -> None:
    credentials = {"email": "ada@example.com", "password": PASSWORD}
    async for old in running(settings_for(database_url, tmp_path)):
        user = (await old.post("/v1/users", json=credentials)).json()
    assert "$m=19456,t=2,p=1$" in await stored_hash(database_url, user["id"])

    async for new in running(settings_for(database_url, tmp_path, argon2_time_cost=3)):
        assert (await new.post(VERIFY, headers=INTERNAL, json=credentials)).status_code == 200
    upgraded = await stored_hash(database_url, user["id"])
    assert "$m=19456,t=3,p=1$" in upgraded

    # The upgraded hash still lets the user in.
    async for again in running(settings_for(database_url, tmp_path, argon2_time_cost=3)):
        assert (await again.post(VERIFY, headers=INTERNAL, json=credentials)).status_code == 200
    assert await stored_hash(database_url, user["id"]) == upgraded


async def test_passwords_never_reach_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "a very secret pass phrase"
    await client.post("/v1/users", json={"email": "log@example.com", "password": secret})
    await client.post("/v1/users", json={"email": "log@example.com", "password": secret})
    await client.post("/v1/users", json={"email": "bad", "password": secret})
    await client.post(
        VERIFY, headers=INTERNAL, json={"email": "log@example.com", "password": secret}
    )
    await client.post(
        VERIFY, headers=INTERNAL, json={"email": "log@example.com", "password": secret + "!"}
    )
    assert caplog.records  # the capture works at all
    assert secret not in caplog.text


# The domain trims a name (str.strip) and wants 1..100 printable characters left; an e-mail
# is trimmed, lower-cased and checked (64 characters before the "@", 254 in all).
NAMES = [
    "Ada",
    "  Ada Lovelace\t",
    "\x1cAda\x1f",
    "\u3000이 름\u2028",
    "x" * 100,
    "",
    "   ",
    "\t\n",
    "A\u200bda",
    "A\tda",
    "Ada\u202e",
    "x" * 101,
    " " + "x" * 100,
]
LONGEST_DOMAIN = "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
EMAILS = [
    "ada@example.com",
    " Ada@Example.COM\n",
    "a.b+c@mail.example.co",
    "a" * 64 + "@" + LONGEST_DOMAIN,
    "a" * 65 + "@example.com",
    "a" * 64 + "@d" + LONGEST_DOMAIN,
    "ada@example",
    "ada@-example.com",
    "ada..b@example.com",
    "ada@example.c0m",
    "아다@example.com",
]


async def test_the_document_takes_exactly_the_names_and_emails_the_server_takes(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schema = request_body(document, "POST", "/v1/users")
    bodies = [
        {"email": f"name-{index}@example.com", "password": PASSWORD, "name": name}
        for index, name in enumerate(NAMES)
    ] + [{"email": email, "password": PASSWORD} for email in EMAILS]
    disagreements = []
    for body in bodies:
        response = await client.post("/v1/users", json=body)
        taken = response.status_code in (201, 409)  # 409: valid, but the address is in use
        if taken != schema.is_valid(body):
            disagreements.append((body, response.status_code))
    assert disagreements == []


async def test_an_empty_name_is_a_422_and_the_document_says_so(client: httpx.AsyncClient) -> None:
    body = {"email": "nameless@example.com", "password": PASSWORD, "name": ""}
    response = await client.post("/v1/users", json=body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["name"]
    document = (await client.get("/openapi.json")).json()
    name, _ = document["components"]["schemas"]["SignUpRequest"]["properties"]["name"]["anyOf"]
    assert (name["minLength"], name["maxLength"]) == (1, 100)
    assert "pattern" in name


def test_refuses_to_start_on_a_configured_database_without_the_internal_token(
    database_url: str, tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match="USER_INTERNAL_API_TOKEN"):
        create_app(settings_for(database_url, tmp_path, internal_api_token=None))
    create_app(Settings(var_dir=tmp_path))  # the embedded default may start without one


# --- the user's current roles, asked by auth at every refresh (docs/adr/0126) ---------------


async def test_internal_user_by_id_gives_the_current_roles(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(settings_for(database_url, tmp_path))
    async with serving(app) as client:
        created = await client.post(
            "/v1/users", json={"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
        )
        user = created.json()
        path = f"/internal/v1/users/{user['id']}"
        response = await client.get(path, headers=INTERNAL)
        assert response.status_code == 200
        assert response.json() == {"id": user["id"], "email": "ada@example.com", "roles": ["USER"]}
        cases = app.state.user_use_cases
        await cases.grant_role(GrantRole("ada@example.com", Role.ADMIN))
        await cases.grant_role(GrantRole("ada@example.com", Role.STAFF))
        assert (await client.get(path, headers=INTERNAL)).json()["roles"] == [
            "USER",
            "STAFF",
            "ADMIN",
        ]
        await cases.revoke_role(RevokeRole("ada@example.com", Role.ADMIN))
        assert (await client.get(path, headers=INTERNAL)).json()["roles"] == ["USER", "STAFF"]


async def test_internal_user_by_id_unknown_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/internal/v1/users/00000000-0000-0000-0000-000000000000", headers=INTERNAL
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/user-not-found")


@pytest.mark.parametrize("headers", [{}, {"X-Internal-Token": "wrong"}, as_user("someone")])
async def test_internal_user_by_id_without_the_internal_token_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/users", json={"email": "ada@example.com", "password": PASSWORD}
    )
    response = await client.get(f"/internal/v1/users/{created.json()['id']}", headers=headers)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/internal-only")
    assert "ada@example.com" not in response.text
