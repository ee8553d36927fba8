"""The kernel's HTTP plumbing: problem+json for every failure, request ids, identity, health."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter
from nacl.signing import SigningKey

from commerce.kernel.domain import (
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    RateLimited,
)
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import (
    AUDIENCE,
    ISSUER,
    PROOF_HEADER,
    ProofVerifier,
    encode_proof,
)
from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.http.schemas import RequestBody
from tests.identity import KEY, VERIFIER, as_user


class PeerDown(DependencyUnavailable):
    """How a service names its own outage (the auth service's user-service client, say)."""

    code = "peer_unavailable"


class Widget(RequestBody):
    name: str
    size: int


def build_app(ready: bool = True) -> httpx.AsyncClient:
    router = APIRouter()

    @router.post("/widgets")
    async def create(widget: Widget) -> dict[str, str]:
        if widget.name == "taken":
            raise Conflict("That name is taken.", code="name_taken")
        if widget.name == "boom":
            raise RuntimeError("SELECT * FROM secret_table")
        if widget.name == "slow":
            raise RateLimited("Slow down.", retry_after_seconds=7)
        if widget.name == "odd":
            raise InvalidInput("Sizes are even.", code="odd_size", field="size")
        if widget.name == "vague":
            raise InvalidInput("Something is off.")
        if widget.name == "unavailable":
            raise DependencyUnavailable("A dependency is down.")
        if widget.name == "peer-down":
            raise PeerDown("The peer is down.")
        return {"name": widget.name}

    @router.get("/widgets/{widget_id}")
    async def read(widget_id: str) -> None:
        raise NotFound(f"No widget {widget_id}.")

    @router.get("/me")
    async def me(identity: CurrentIdentity) -> dict[str, object]:
        return {"id": identity.user_id, "roles": list(identity.roles)}

    async def check() -> None:
        if not ready:
            raise ConnectionError("db down at 10.0.0.7")

    app = create_service_app(
        proofs=VERIFIER, title="t", routers=[router], readiness={"database": check}
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_unknown_fields_and_wrong_types_are_422_with_field_errors() -> None:
    async with build_app() as client:
        response = await client.post("/widgets", json={"name": "a", "size": "x", "id": "mine"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert {error["field"] for error in body["errors"]} == {"size", "id"}


async def test_unparsable_json_is_400_problem() -> None:
    async with build_app() as client:
        response = await client.post(
            "/widgets", content=b'{"name": ', headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["status"] == 400


@pytest.mark.parametrize(
    ("name", "status"),
    [("taken", 409), ("slow", 429)],
)
async def test_domain_errors_map_to_statuses(name: str, status: int) -> None:
    async with build_app() as client:
        response = await client.post("/widgets", json={"name": name, "size": 1})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 429:
        assert response.headers["retry-after"] == "7"


async def test_a_domain_422_carries_field_errors_like_a_schema_422() -> None:
    async with build_app() as client:
        with_field = await client.post("/widgets", json={"name": "odd", "size": 3})
        without_field = await client.post("/widgets", json={"name": "vague", "size": 3})
    assert with_field.status_code == 422
    assert with_field.headers["content-type"] == "application/problem+json"
    assert with_field.json()["errors"] == [
        {"field": "size", "message": "Sizes are even.", "type": "odd_size"}
    ]
    assert without_field.status_code == 422
    assert without_field.json()["errors"] == [
        {"field": "", "message": "Something is off.", "type": "invalid_input"}
    ]


async def test_other_domain_errors_carry_no_field_errors() -> None:
    async with build_app() as client:
        response = await client.post("/widgets", json={"name": "taken", "size": 1})
    assert response.status_code == 409 and "errors" not in response.json()


@pytest.mark.parametrize(
    ("name", "slug"),
    [("unavailable", "dependency-unavailable"), ("peer-down", "peer-unavailable")],
)
async def test_an_unavailable_dependency_is_a_503_to_retry(name: str, slug: str) -> None:
    async with build_app() as client:
        response = await client.post("/widgets", json={"name": name, "size": 1})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == 503
    assert "errors" not in body


async def test_unexpected_error_is_500_without_internals() -> None:
    async with build_app() as client:
        response = await client.post("/widgets", json={"name": "boom", "size": 1})
    assert response.status_code == 500
    assert "secret_table" not in response.text
    assert "Traceback" not in response.text


async def test_not_found_and_unknown_route_are_problems() -> None:
    async with build_app() as client:
        missing = await client.get("/widgets/42")
        unrouted = await client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["detail"] == "No widget 42."
    assert unrouted.status_code == 404
    assert unrouted.headers["content-type"] == "application/problem+json"


async def test_request_id_is_echoed_when_sane_and_generated_otherwise() -> None:
    async with build_app() as client:
        echoed = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
        replaced = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith tabs"})
        generated = await client.get("/healthz")
    assert echoed.headers["x-request-id"] == "abc-123"
    assert replaced.headers["x-request-id"] != "bad id\twith tabs"
    assert len(generated.headers["x-request-id"]) == 32


async def test_identity_comes_only_from_the_gateways_proof() -> None:
    async with build_app() as client:
        anonymous = await client.get("/me")
        known = await client.get("/me", headers=as_user("u1", roles="USER,ADMIN"))
        # The proof decides; X-User-* beside it are for reading only.
        relabelled = await client.get(
            "/me", headers={**as_user("u1"), "X-User-Id": "u2", "X-User-Roles": "ADMIN"}
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert known.json() == {"id": "u1", "roles": ["USER", "ADMIN"]}
    assert relabelled.json() == {"id": "u1", "roles": ["USER"]}


def forged_proof(key: Ed25519PrivateKey | None = None, **claims: object) -> str:
    """A proof as a caller without the gateway's key could make it (or the real key with a
    claim the services refuse)."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "addr": "10.0.0.1"}
    body.update(sub="victim", email="v@example.com", roles=["ADMIN"])
    body.update(claims)
    signing = SigningKey((key or Ed25519PrivateKey.generate()).private_bytes_raw())
    return encode_proof(body, signing).decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-User-Id": "victim"},
        {"x-user-roles": "ADMIN"},
        {"X-User-Id": "victim", PROOF_HEADER: ""},
        {"X-User-Id": "victim", PROOF_HEADER: "not.a.token"},
        {"X-User-Id": "victim", PROOF_HEADER: forged_proof()},
        {PROOF_HEADER: forged_proof()},
        {PROOF_HEADER: forged_proof(key=KEY, exp=int(time.time()) - 3600)},
        {PROOF_HEADER: forged_proof(key=KEY, aud="commerce")},
        {PROOF_HEADER: forged_proof(key=KEY, iss="commerce-auth")},
        {PROOF_HEADER: jwt.encode({"sub": "victim"}, "s" * 32, algorithm="HS256")},
        {PROOF_HEADER: forged_proof(key=KEY, sub="")},
    ],
    ids=[
        "x-user-id-alone",
        "x-user-roles-alone",
        "empty-proof",
        "garbage-proof",
        "proof-signed-by-another-key",
        "proof-alone-signed-by-another-key",
        "expired",
        "other-audience",
        "other-issuer",
        "hs256-jwt",
        "empty-subject",
    ],
)
async def test_identity_without_a_valid_proof_is_a_401_on_every_route(
    headers: dict[str, str],
) -> None:
    async with build_app() as client:
        private = await client.get("/me", headers=headers)
        public = await client.get("/healthz", headers=headers)
    for response in (private, public):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_service_without_the_gateways_key_believes_nobody() -> None:
    router = APIRouter()

    @router.get("/me")
    async def me(identity: CurrentIdentity) -> dict[str, str]:
        return {"id": identity.user_id}

    app = create_service_app(title="t", routers=[router], readiness={}, proofs=ProofVerifier(()))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/me", headers=as_user("u1"))
    assert response.status_code == 401


async def test_readyz_reports_failed_dependency_without_details() -> None:
    async with build_app(ready=False) as client:
        response = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    assert "10.0.0.7" not in response.text
    assert alive.status_code == 200


async def test_database_outage_is_503_problem_not_500() -> None:
    import sqlalchemy.exc
    from fastapi import FastAPI

    router = APIRouter()

    @router.get("/orders")
    async def orders() -> None:
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("db:3306"))

    app: FastAPI = create_service_app(proofs=VERIFIER, title="t", routers=[router], readiness={})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/orders")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "3306" not in response.text and "SELECT" not in response.text


async def test_outgoing_calls_carry_the_id_of_the_request_being_served() -> None:
    from commerce.kernel.http.request_id import current_request_id, forward_request_id

    seen: list[str | None] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("x-request-id"))
        return httpx.Response(204)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(upstream),
        base_url="http://peer",
        event_hooks={"request": [forward_request_id]},
    ) as client:
        await client.get("/outside-any-request")
        token = current_request_id.set("req-42")
        try:
            await client.get("/inside")
        finally:
            current_request_id.reset(token)
    assert seen == [None, "req-42"]


async def test_the_openapi_document_describes_errors_as_problems() -> None:
    async with build_app() as client:
        document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/widgets"]["post"]["responses"]
    assert list(responses["422"]["content"]) == ["application/problem+json"]
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    assert "HTTPValidationError" not in document["components"]["schemas"]
