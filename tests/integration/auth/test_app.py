"""The auth service in-process (ASGI, real lifespan, SQLite file or Redis) with a fake user
service behind httpx.MockTransport: the HTTP contract of login, refresh, logout and JWKS."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from commerce.auth.adapters.outbound.sql_tables import refresh_tokens
from commerce.auth.bootstrap import create_app
from commerce.auth.settings import AuthSettings
from commerce.kernel.db import create_engine
from tests.identity import anonymous
from tests.integration.auth.conftest import drop_keys
from tests.integration.conftest import serving
from tests.unit.auth.fakes import FakeClock

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
USER = {"id": "u-1", "email": "alice@example.com", "name": "Alice", "roles": ["USER"]}


class FakeUserService:
    """The user service's internal routes for one known user: the credential check at login
    and ``GET /internal/v1/users/{id}`` at refresh (docs/adr/0126)."""

    def __init__(self) -> None:
        self.mode = "up"  # every route: "up", "down" or "broken"
        self.lookup = "up"  # the user by id only: "up", "down" or "gone"
        self.roles = ["USER"]
        self.calls = 0
        self.lookups: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.mode == "down":
            raise httpx.ConnectError("connection refused")
        if self.mode == "broken":
            return httpx.Response(500, json={"detail": "boom"})
        if request.method == "GET":
            return self.user_by_id(request)
        assert request.url.path == "/internal/v1/credentials/verify"
        body = json.loads(request.content)
        if body["email"].lower() == USER["email"] and body["password"] == PASSWORD:
            return httpx.Response(200, json={**USER, "roles": self.roles})
        return httpx.Response(401, json={"title": "Unauthorized"})

    def user_by_id(self, request: httpx.Request) -> httpx.Response:
        self.lookups.append(request)
        assert request.url.path == f"/internal/v1/users/{USER['id']}"
        if self.lookup == "down":
            raise httpx.ConnectError("connection refused")
        if self.lookup == "gone":
            gone = {"type": "https://commerce.example/problems/user-not-found", "status": 404}
            return httpx.Response(404, json=gone)
        return httpx.Response(
            200, json={"id": USER["id"], "email": USER["email"], "roles": self.roles}
        )


def settings(tmp_path: Path, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        "redis_url": None,
        "user_service_url": "http://user.test",
        **overrides,
    }
    return AuthSettings(**values)


@asynccontextmanager
async def running(config: AuthSettings, users: FakeUserService) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config, user_service_transport=httpx.MockTransport(users))
    async with serving(app, client_address=("192.0.2.10", 50000)) as client:
        yield client


@pytest.fixture
def users() -> FakeUserService:
    return FakeUserService()


@pytest.fixture
async def client(tmp_path: Path, users: FakeUserService) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings(tmp_path), users) as client:
        yield client


async def log_in(
    client: httpx.AsyncClient, email: str = USER["email"], password: str = PASSWORD, **kw: Any
) -> httpx.Response:
    return await client.post("/v1/auth/login", json={"email": email, "password": password}, **kw)


def is_problem(response: httpx.Response, status: int) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and {"type", "title", "status", "detail"} <= body.keys()
        and body["status"] == status
    )


def is_outage(response: httpx.Response) -> bool:
    """The kernel's answer to an unavailable dependency: a 503 problem to retry shortly."""
    return (
        is_problem(response, 503)
        and response.json()["type"].endswith("/dependency-unavailable")
        and int(response.headers["retry-after"]) >= 1
    )


async def test_login_returns_a_bearer_pair_verifiable_with_the_jwks(
    client: httpx.AsyncClient,
) -> None:
    response = await log_in(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token_type", "access_token", "refresh_token", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    jwks = (await client.get("/v1/auth/jwks")).json()
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    claims = jwt.decode(
        body["access_token"],
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="commerce",
        issuer="commerce-auth",
    )
    assert claims["sub"] == "u-1" and claims["email"] == USER["email"]
    assert claims["roles"] == ["USER"] and claims["exp"] - claims["iat"] == 900


async def test_wrong_password_and_unknown_email_get_identical_answers(
    client: httpx.AsyncClient,
) -> None:
    wrong = await log_in(client, password="not the password")
    unknown = await log_in(client, email="nobody@example.com")
    assert is_problem(wrong, 401)
    assert wrong.json() == unknown.json()
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


@pytest.mark.parametrize("mode", ["down", "broken"])
async def test_user_service_trouble_is_503_not_500(
    client: httpx.AsyncClient, users: FakeUserService, mode: str
) -> None:
    users.mode = mode
    response = await log_in(client)
    assert is_outage(response)
    assert "user.test" not in response.text and "user service" not in response.text


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"email": USER["email"]}, 422),
        ({"email": USER["email"], "password": PASSWORD, "roles": ["ADMIN"]}, 422),
        ({"email": 5, "password": PASSWORD}, 422),
        ({"email": "", "password": PASSWORD}, 422),
    ],
)
async def test_bad_login_bodies_are_refused_without_asking_the_user_service(
    client: httpx.AsyncClient, users: FakeUserService, payload: dict, status: int
) -> None:
    response = await client.post("/v1/auth/login", json=payload)
    assert is_problem(response, status)
    assert users.calls == 0


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert is_problem(response, 400)


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = (await log_in(client)).json()
    second = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert set(second.json()) == {"token_type", "access_token", "refresh_token", "expires_in"}
    assert second.json()["refresh_token"] != first["refresh_token"]

    reused = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert is_problem(reused, 401)
    newer = await client.post(
        "/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
    )
    assert is_problem(newer, 401)
    assert newer.json() == reused.json()  # nothing tells a thief why


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert is_problem(response, 401)


async def test_logout_is_204_and_ends_the_family(client: httpx.AsyncClient) -> None:
    pair = (await log_in(client)).json()
    response = await client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204 and response.content == b""
    after = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert is_problem(after, 401)
    unknown = await client.post("/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


async def test_jwks_is_served_at_both_paths_with_caching(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/auth/jwks")
    second = await client.get("/.well-known/jwks.json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.headers["cache-control"] == "public, max-age=300"
    [key] = first.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert "d" not in key


async def test_readiness_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


async def test_a_restart_keeps_the_signing_key(tmp_path: Path, users: FakeUserService) -> None:
    config = settings(tmp_path)
    kids = []
    for _ in range(2):
        async with running(config, users) as client:
            kids.append((await client.get("/v1/auth/jwks")).json()["keys"][0]["kid"])
    assert kids[0] == kids[1]
    assert (tmp_path / "var" / "auth-signing-key.pem").exists()


# --- rate limits ---------------------------------------------------------------------------


async def test_too_many_attempts_on_one_account_is_429_with_retry_after(
    tmp_path: Path, users: FakeUserService
) -> None:
    config = settings(tmp_path, login_rate_per_account=3)
    hits = {"limit": "login_account"}
    before = REGISTRY.get_sample_value("commerce_rate_limit_hits_total", hits) or 0.0
    async with running(config, users) as client:
        for i in range(3):
            response = await log_in(
                client, password="guess", headers={"X-Forwarded-For": f"198.51.100.{i}"}
            )
            assert response.status_code == 401
        limited = await log_in(client, headers={"X-Forwarded-For": "198.51.100.99"})
        assert is_problem(limited, 429)
        assert int(limited.headers["retry-after"]) == 20
        assert users.calls == 3  # the limited attempt never reached the password check
    assert REGISTRY.get_sample_value("commerce_rate_limit_hits_total", hits) == before + 1


async def test_the_address_is_the_one_the_gateways_proof_names(
    tmp_path: Path, users: FakeUserService
) -> None:
    config = settings(tmp_path, login_rate_per_address=2)
    async with running(config, users) as client:
        for i in range(2):
            headers = anonymous("203.0.113.7")
            assert (
                await log_in(client, email=f"u{i}@example.com", headers=headers)
            ).status_code == 401
        limited = await log_in(client, headers=anonymous("203.0.113.7"))
        assert is_problem(limited, 429) and int(limited.headers["retry-after"]) >= 1
        other = await log_in(client, headers=anonymous("203.0.113.8"))
        assert other.status_code == 200


async def test_x_forwarded_for_is_never_believed(tmp_path: Path, users: FakeUserService) -> None:
    """A caller of the auth port itself cannot escape the per-address limit with a new
    X-Forwarded-For per attempt: without the gateway's proof the TCP peer counts."""
    config = settings(tmp_path, login_rate_per_address=1)
    async with running(config, users) as client:
        assert (await log_in(client)).status_code == 200
        assert (await log_in(client, email="x@example.com")).status_code == 429
        rotated = await log_in(client, headers={"X-Forwarded-For": "192.0.2.99"})
        assert is_problem(rotated, 429)


# --- with Redis ----------------------------------------------------------------------------


@pytest.fixture
async def redis_settings(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> AsyncIterator[Callable[..., AuthSettings]]:
    yield lambda **kw: settings(tmp_path, redis_url=redis_url, redis_key_prefix=redis_prefix, **kw)
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    await drop_keys(client, redis_prefix)
    await client.aclose()


async def test_with_redis_tokens_and_limits_live_in_redis(
    redis_settings: Callable[..., AuthSettings],
    users: FakeUserService,
    redis_url: str,
    redis_prefix: str,
) -> None:
    from redis.asyncio import Redis

    async with running(redis_settings(login_rate_per_account=2), users) as client:
        ready = await client.get("/readyz")
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        first = (await log_in(client)).json()
        second = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200
        assert (await log_in(client)).status_code == 200
        assert (await log_in(client)).status_code == 429
    redis = Redis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in redis.scan_iter(match=redis_prefix + "*")]
    finally:
        await redis.aclose()
    assert any(k.startswith(redis_prefix + "rt:") for k in keys)
    assert any(k.startswith(redis_prefix + "fam:") for k in keys)
    assert any(k.startswith(redis_prefix + "ratelimit:login:") for k in keys)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_redis_down_is_503_and_not_ready(tmp_path: Path, users: FakeUserService) -> None:
    config = settings(tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    async with running(config, users) as client:
        assert is_outage(await log_in(client))
        refresh = await client.post("/v1/auth/refresh", json={"refresh_token": "x"})
        assert is_outage(refresh)
        logout = await client.post("/v1/auth/logout", json={"refresh_token": "x"})
        assert is_outage(logout)
        ready = await client.get("/readyz")
        assert ready.status_code == 503


async def test_expired_sql_tokens_are_purged_at_start(
    tmp_path: Path, users: FakeUserService
) -> None:
    config = settings(tmp_path)
    clock = FakeClock()

    async def rows() -> int:
        engine = create_engine(str(config.database_url))
        try:
            async with engine.connect() as connection:
                count = select(func.count()).select_from(refresh_tokens)
                return int((await connection.execute(count)).scalar_one())
        finally:
            await engine.dispose()

    app = create_app(config, user_service_transport=httpx.MockTransport(users), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as client:
            first = (await log_in(client)).json()
            await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert await rows() == 2
    clock.advance(days=15)
    async with app.router.lifespan_context(app):
        pass
    assert await rows() == 0


# --- a refresh carries the roles the user service holds now (docs/adr/0126) ----------------


async def verified_claims(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    [jwk] = (await client.get("/v1/auth/jwks")).json()["keys"]
    return jwt.decode(
        access_token,
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="commerce",
        issuer="commerce-auth",
    )


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


async def test_refresh_carries_a_role_granted_and_drops_one_revoked_since_sign_in(
    tmp_path: Path, users: FakeUserService
) -> None:
    config = settings(tmp_path, user_service_token="internal-secret")
    async with running(config, users) as client:
        first = (await log_in(client)).json()
        users.roles = ["USER", "STAFF"]  # granted after the sign-in
        granted = await refresh(client, first["refresh_token"])
        assert granted.status_code == 200, granted.text
        claims = await verified_claims(client, granted.json()["access_token"])
        assert claims["roles"] == ["USER", "STAFF"] and claims["sub"] == USER["id"]
        users.roles = ["USER"]  # revoked again
        revoked = await refresh(client, granted.json()["refresh_token"])
        assert revoked.status_code == 200, revoked.text
        assert (await verified_claims(client, revoked.json()["access_token"]))["roles"] == ["USER"]
    assert [r.headers["x-internal-token"] for r in users.lookups] == ["internal-secret"] * 2


async def test_refresh_for_a_user_gone_is_401_and_revokes_the_family(
    client: httpx.AsyncClient, users: FakeUserService
) -> None:
    first = (await log_in(client)).json()
    second = (await refresh(client, first["refresh_token"])).json()
    users.lookup = "gone"
    gone = await refresh(client, second["refresh_token"])
    assert is_problem(gone, 401)
    assert gone.json() == (await refresh(client, "made-up")).json()  # nothing tells why
    assert gone.headers["x-revoked-session"]  # the gateway refuses the session's tokens
    users.lookup = "up"
    again = await refresh(client, second["refresh_token"])
    assert is_problem(again, 401)  # the family stays revoked


@pytest.mark.parametrize("trouble", ["down", "broken"])
async def test_user_service_trouble_at_refresh_is_503_and_the_token_stays_usable(
    client: httpx.AsyncClient, users: FakeUserService, trouble: str
) -> None:
    first = (await log_in(client)).json()
    if trouble == "down":
        users.lookup = "down"
    else:
        users.mode = "broken"
    for _ in range(2):
        assert is_outage(await refresh(client, first["refresh_token"]))
    users.lookup, users.mode = "up", "up"
    retried = await refresh(client, first["refresh_token"])
    assert retried.status_code == 200, retried.text  # not a reuse: it was never used up
    assert is_problem(await refresh(client, first["refresh_token"]), 401)  # now it is


async def test_with_redis_an_outage_at_refresh_leaves_the_token_usable(
    redis_settings: Callable[..., AuthSettings], users: FakeUserService
) -> None:
    async with running(redis_settings(), users) as client:
        first = (await log_in(client)).json()
        users.lookup = "down"
        assert is_outage(await refresh(client, first["refresh_token"]))
        users.lookup, users.roles = "up", ["USER", "ADMIN"]
        retried = await refresh(client, first["refresh_token"])
        assert retried.status_code == 200, retried.text
        claims = await verified_claims(client, retried.json()["access_token"])
        assert claims["roles"] == ["USER", "ADMIN"]


async def test_a_reused_token_is_refused_without_asking_the_user_service(
    client: httpx.AsyncClient, users: FakeUserService
) -> None:
    first = (await log_in(client)).json()
    await refresh(client, first["refresh_token"])
    users.lookup = "down"  # reuse detection does not depend on the user service
    reused = await refresh(client, first["refresh_token"])
    assert is_problem(reused, 401) and reused.headers["x-revoked-session"]
    assert len(users.lookups) == 1
