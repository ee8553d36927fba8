"""The gateway over in-process stub services: routing, identity, header policy, failures."""

from __future__ import annotations

import httpx
import pytest

from commerce.kernel.http.identity import Identity
from tests.identity import VERIFIER
from tests.identity import anonymous as anonymous_headers
from tests.integration.gateway.conftest import CLIENT_ADDRESS, GatewayFactory
from tests.integration.gateway.stubs import Stubs
from tests.unit.gateway.keys import (
    SigningKey,
    claims,
    hmac_with_public_key,
    jwks,
    tampered,
    unsigned,
)

pytestmark = pytest.mark.integration


def header_values(seen: dict, name: str) -> list[str]:
    return [value for key, value in seen["headers"] if key == name]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


async def test_a_verified_token_becomes_identity_headers_and_spoofed_ones_vanish(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    token = signing_key.sign(claims(sub="u-7", email="ada@example.com", roles=["USER", "SELLER"]))

    response = await gateway.get(
        "/v1/users/me",
        headers={
            **bearer(token),
            "X-User-Id": "admin",
            "x-user-ROLES": "ADMIN",
            "X-User-Extra": "1",
        },
    )

    assert response.status_code == 200
    seen = stubs.last
    assert seen["service"] == "user"
    assert header_values(seen, "x-user-id") == ["u-7"]
    assert header_values(seen, "x-user-email") == ["ada@example.com"]
    assert header_values(seen, "x-user-roles") == ["USER,SELLER"]
    assert header_values(seen, "x-user-extra") == []
    # What the services believe: the proof, signed with the gateway's key.
    (proof,) = header_values(seen, "x-gateway-proof")
    vouched = VERIFIER.verify(proof.encode())
    assert vouched.identity == Identity("u-7", "ada@example.com", ("USER", "SELLER"))
    assert vouched.client_address == CLIENT_ADDRESS
    assert header_values(seen, "authorization") == []


async def test_an_anonymous_request_carries_a_proof_of_its_address_only(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    response = await gateway.get("/v1/products", headers=anonymous_headers("198.51.100.1"))

    assert response.status_code == 200
    (proof,) = header_values(stubs.last, "x-gateway-proof")
    vouched = VERIFIER.verify(proof.encode())
    assert vouched.identity is None
    assert vouched.client_address == CLIENT_ADDRESS  # the gateway's, not the client's proof


async def test_the_request_id_and_client_address_are_forwarded(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    response = await gateway.get(
        "/v1/products",
        headers={
            "X-Request-Id": "trace-me-1",
            "traceparent": traceparent,
            "X-Forwarded-For": "6.6.6.6",
        },
    )

    assert response.headers["x-request-id"] == "trace-me-1"
    assert header_values(stubs.last, "x-request-id") == ["trace-me-1"]
    assert header_values(stubs.last, "traceparent") == [traceparent]
    assert header_values(stubs.last, "x-forwarded-for") == [CLIENT_ADDRESS]


async def test_a_generated_request_id_is_the_same_upstream_and_in_the_response(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    response = await gateway.get("/v1/products", headers={"X-Request-Id": "bad id with spaces"})

    request_id = response.headers["x-request-id"]
    assert request_id != "bad id with spaces"
    assert header_values(stubs.last, "x-request-id") == [request_id]


async def test_trusted_proxy_hops_pick_the_address_our_proxy_saw(
    start_gateway: GatewayFactory, stubs: Stubs
) -> None:
    async with start_gateway(trusted_proxy_hops=1) as gateway:
        await gateway.get("/v1/products", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.9"})

    assert header_values(stubs.last, "x-forwarded-for") == ["198.51.100.9"]


async def test_a_protected_route_without_a_token_is_401_and_never_reaches_the_service(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    for method, path in [
        ("GET", "/v1/users/me"),
        ("GET", "/v1/orders"),
        ("POST", "/v1/orders"),
        ("POST", "/v1/products"),
        ("PATCH", "/v1/products/p-1"),
    ]:
        response = await gateway.request(method, path, headers={"X-User-Id": "u-1"})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert stubs.received == []


@pytest.mark.parametrize(
    "forge",
    [
        "tampered",
        "alg-none",
        "hs256-public-key",
        "expired",
        "wrong-iss",
        "wrong-aud",
        "unknown-key",
        "garbage",
        "basic-scheme",
    ],
)
@pytest.mark.parametrize("path", ["/v1/users/me", "/v1/products"])
async def test_forged_tokens_are_401_on_protected_and_public_routes(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey, forge: str, path: str
) -> None:
    headers = {
        "tampered": bearer(tampered(signing_key.sign(), sub="someone-else")),
        "alg-none": bearer(unsigned(claims(), kid=signing_key.kid)),
        "hs256-public-key": bearer(hmac_with_public_key(signing_key, claims())),
        "expired": bearer(signing_key.sign(claims(iat=1_000_000, exp=1_000_900))),
        "wrong-iss": bearer(signing_key.sign(claims(iss="evil"))),
        "wrong-aud": bearer(signing_key.sign(claims(aud="other"))),
        "unknown-key": bearer(SigningKey("EdDSA").sign()),
        "garbage": bearer("not.a.token"),
        "basic-scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    }[forge]

    response = await gateway.get(path, headers=headers)

    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert stubs.received == []


async def test_public_routes_work_without_a_token_and_strip_spoofed_identity(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    response = await gateway.post(
        "/v1/users", json={"email": "a@example.com"}, headers={"X-User-Id": "admin"}
    )

    assert response.status_code == 200
    assert stubs.last["service"] == "user"
    assert not any(name.startswith("x-user-") for name, _ in stubs.last["headers"])


async def test_a_valid_token_on_a_public_route_is_forwarded_as_identity(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    await gateway.get("/v1/products/p-1", headers=bearer(signing_key.sign(claims(sub="u-9"))))

    assert header_values(stubs.last, "x-user-id") == ["u-9"]


async def test_auth_endpoints_ignore_a_stale_authorization_header(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    expired = signing_key.sign(claims(iat=1_000_000, exp=1_000_900))

    response = await gateway.post(
        "/v1/auth/refresh",
        json={"refresh_token": "r"},
        headers={**bearer(expired), "X-User-Id": "admin"},
    )

    assert response.status_code == 200
    assert stubs.last["service"] == "auth"
    assert header_values(stubs.last, "authorization") == []
    assert not any(name.startswith("x-user-") for name, _ in stubs.last["headers"])


async def test_a_rotated_key_is_picked_up_without_a_restart(
    start_gateway: GatewayFactory, stubs: Stubs, signing_key: SigningKey
) -> None:
    rotated = SigningKey("ES256")
    async with start_gateway(jwks_min_refetch_seconds=0) as gateway:
        assert (
            await gateway.get("/v1/orders", headers=bearer(signing_key.sign()))
        ).status_code == 200
        stubs.jwks = jwks(signing_key, rotated)

        response = await gateway.get("/v1/orders", headers=bearer(rotated.sign()))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/internal/users/verify-credentials",
        "/healthz/../internal/x",
        "/v1/users/../internal/x",
        "/v1/users/%2e%2e/internal/x",
        "/v1/users/%2E%2E%2Finternal%2Fx",
        "/metrics-of-user",
        "/v1/unknown",
    ],
)
async def test_unrouted_paths_are_404_at_the_gateway(
    gateway: httpx.AsyncClient, stubs: Stubs, path: str
) -> None:
    response = await gateway.post(httpx.URL("http://gateway").copy_with(raw_path=path.encode()))

    assert_problem(response, 404)
    assert stubs.received == []


async def test_every_service_is_routed(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    token = bearer(signing_key.sign())
    for path, service in [
        ("/v1/users/me", "user"),
        ("/v1/auth/login", "auth"),
        ("/v1/products/x", "product"),
        ("/v1/orders/o/cancel", "order"),
        ("/.well-known/jwks.json", "auth"),
    ]:
        await gateway.get(path, headers=token)
        assert stubs.last["service"] == service
        assert stubs.last["path"] == path


async def test_path_query_and_body_are_forwarded_verbatim(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    body = b'{"items": [{"product_id": "p", "quantity": 1}], "note": "caf\xc3\xa9"}'
    url = httpx.URL("http://gateway").copy_with(raw_path=b"/v1/orders/a%2Fb%20c?x=1&y=%C3%A9&x=2")

    await gateway.post(
        url,
        content=body,
        headers={
            **bearer(signing_key.sign()),
            "Content-Type": "application/json",
            "Idempotency-Key": "k-1",
        },
    )

    seen = stubs.last
    assert seen["raw_path"] == "/v1/orders/a%2Fb%20c"
    assert seen["query"] == "x=1&y=%C3%A9&x=2"
    assert seen["body"].encode("latin-1") == body
    assert header_values(seen, "idempotency-key") == ["k-1"]
    assert header_values(seen, "content-length") == [str(len(body))]


async def test_statuses_and_locations_come_back_without_internal_hosts(
    gateway: httpx.AsyncClient, signing_key: SigningKey
) -> None:
    response = await gateway.post(
        "/v1/orders?status=202&location=/v1/orders/o-1", headers=bearer(signing_key.sign())
    )

    assert response.status_code == 202
    assert response.headers["location"] == "/v1/orders/o-1"
    assert "127.0.0.1:" not in str(response.headers)


@pytest.mark.parametrize(("failure", "status"), [("down", 503), ("slow", 504), ("broken", 502)])
async def test_a_failing_service_is_a_problem_without_internals(
    start_gateway: GatewayFactory, stubs: Stubs, failure: str, status: int
) -> None:
    if failure == "down":
        await stubs.take_down("product")
    elif failure == "slow":
        stubs.slow.add("product")
    else:
        await stubs.answer_garbage("product")

    async with start_gateway(read_timeout_seconds=0.3) as gateway:
        response = await gateway.get("/v1/products/p-1")

    body = assert_problem(response, status)
    assert "product" in body["detail"]
    assert "127.0.0.1:" not in response.text
    assert "Traceback" not in response.text


async def test_the_other_services_still_answer_while_one_is_down(
    gateway: httpx.AsyncClient, stubs: Stubs
) -> None:
    await stubs.take_down("order")

    response = await gateway.post("/v1/users", json={})

    assert response.status_code == 200


async def test_health_and_readiness(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/healthz")).status_code == 200
    ready = await gateway.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"jwks": "ok"}


async def test_not_ready_while_the_keys_cannot_be_fetched(
    start_gateway: GatewayFactory, stubs: Stubs, signing_key: SigningKey
) -> None:
    await stubs.take_down("auth")
    async with start_gateway(jwks_min_refetch_seconds=0) as gateway:
        assert_problem(await gateway.get("/readyz"), 503)
        # A token cannot be checked at all: that is the gateway's trouble, not the client's.
        response = await gateway.get("/v1/users/me", headers=bearer(signing_key.sign()))
        assert_problem(response, 503)

        await stubs.bring_back()
        assert (await gateway.get("/readyz")).status_code == 200
        assert (
            await gateway.get("/v1/users/me", headers=bearer(signing_key.sign()))
        ).status_code == 200
