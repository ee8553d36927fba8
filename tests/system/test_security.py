"""The security findings, each as a test against the whole platform as `make run` starts it
(both profiles): what an attacker on the same host sends straight to a service's port.

Finding 1 (high): the service ports trusted whoever called them. Identity is now believed
only from the gateway's signed proof (docs/adr/0038), and the internal credential check
always needs its credential.
"""

from __future__ import annotations

import contextlib
import socket
import time

import httpx
import pytest
from nacl.signing import SigningKey

from commerce.kernel.http.gateway_proof import encode_proof
from commerce.platform import SERVICES
from tests.broker import listening_addresses
from tests.system.accounts import Account, new_account
from tests.system.conftest import RunningPlatform
from tests.system.test_ordering import (
    all_orders,
    new_product,
    place,
    place_ok,
    stock_of,
    wait_final,
)

# Every process with a port: the gateway and each service.
PROCESSES = ("gateway", *SERVICES)

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"


def claims_of(victim: Account) -> dict[str, str]:
    return {"X-User-Id": victim.id, "X-User-Email": victim.email, "X-User-Roles": "USER,ADMIN"}


def forged_proof(victim: Account) -> str:
    """A proof like the gateway's, signed with a key of the attacker's own."""
    now = int(time.time())
    claims = {
        "iss": "commerce-gateway",
        "aud": "commerce-services",
        "iat": now,
        "exp": now + 60,
        "addr": "127.0.0.1",
        "sub": victim.id,
        "email": victim.email,
        "roles": ["USER", "ADMIN"],
    }
    return encode_proof(claims, SigningKey.generate()).decode()


def read_to_end(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset after its answer included)."""
    answer = b""
    with contextlib.suppress(ConnectionError):
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def raw_answer(running: RunningPlatform, service: str, head: bytes) -> bytes:
    """What ``service``'s port answers to ``head`` sent on a raw socket."""
    host, port = running.url(service).removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        with contextlib.suppress(ConnectionError):
            connection.sendall(head)
        return read_to_end(connection)


def refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


@pytest.fixture
def alice(gateway: httpx.Client) -> Account:
    return new_account(gateway, "alice")


@pytest.fixture
def attacker_headers(alice: Account, request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "headers":
        return claims_of(alice)
    return {**claims_of(alice), "X-Gateway-Proof": forged_proof(alice)}


@pytest.mark.parametrize("attacker_headers", ["headers", "forged-proof"], indirect=True)
def test_a_users_profile_cannot_be_read_on_the_user_port(
    running: RunningPlatform, attacker_headers: dict[str, str]
) -> None:
    refused(httpx.get(running.url("user") + "/v1/users/me", headers=attacker_headers))


@pytest.mark.parametrize("attacker_headers", ["headers", "forged-proof"], indirect=True)
def test_a_users_orders_cannot_be_read_or_cancelled_on_the_order_port(
    running: RunningPlatform,
    gateway: httpx.Client,
    alice: Account,
    attacker_headers: dict[str, str],
) -> None:
    seller = new_account(gateway, "seller")
    product = gateway.post(
        "/v1/products",
        json={"name": "Kettle", "price": 35000, "stock": 5},
        headers=seller.auth,
    ).json()
    order = gateway.post(
        "/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers=alice.auth,
    ).json()
    order_port = running.url("order")

    refused(httpx.get(f"{order_port}/v1/orders", headers=attacker_headers))
    refused(httpx.get(f"{order_port}/v1/orders/{order['id']}", headers=attacker_headers))
    refused(httpx.post(f"{order_port}/v1/orders/{order['id']}/cancel", headers=attacker_headers))
    mine = gateway.get(f"/v1/orders/{order['id']}", headers=alice.auth).json()
    assert mine["status"] != "CANCELLED"


@pytest.mark.parametrize("attacker_headers", ["headers", "forged-proof"], indirect=True)
def test_products_cannot_be_created_or_changed_as_someone_else_on_the_product_port(
    running: RunningPlatform,
    gateway: httpx.Client,
    alice: Account,
    attacker_headers: dict[str, str],
) -> None:
    product = gateway.post(
        "/v1/products", json={"name": "Lamp", "price": 1000, "stock": 3}, headers=alice.auth
    ).json()
    product_port = running.url("product")
    body = {"name": "Forged", "price": 1, "stock": 1}

    refused(httpx.post(f"{product_port}/v1/products", json=body, headers=attacker_headers))
    patched = httpx.patch(
        f"{product_port}/v1/products/{product['id']}",
        json={"price": 1},
        headers=attacker_headers,
    )
    refused(patched)
    assert gateway.get(f"/v1/products/{product['id']}").json()["price"] == 1000
    # Even a public read refuses a claimed identity it cannot verify.
    refused(httpx.get(f"{product_port}/v1/products/{product['id']}", headers=attacker_headers))


def test_the_internal_credential_check_needs_its_credential(
    running: RunningPlatform, alice: Account
) -> None:
    """`make run` always sets it: no password oracle on the user port."""
    verify = running.url("user") + "/internal/v1/credentials/verify"
    body = {"email": alice.email, "password": alice.password}
    refused(httpx.post(verify, json=body))
    refused(httpx.post(verify, json=body, headers={"X-Internal-Token": "guess"}))


def test_through_the_gateway_everything_still_works(gateway: httpx.Client, alice: Account) -> None:
    me = gateway.get("/v1/users/me", headers=alice.auth)
    assert me.status_code == 200 and me.json()["id"] == alice.id


# Finding 2 (high): the broker accepted anyone's events. In production the services' listener
# needs SCRAM-SHA-512 over TLS and each service's KafkaUser may write only its own topics
# (tests/deploy/test_kafka_users.py). The embedded broker cannot authenticate (ADR 0046), so
# the platform's broker listens on loopback only.
def test_the_platforms_broker_listens_on_loopback_only(running: RunningPlatform) -> None:
    broker = running.platform.broker
    assert broker is not None and broker.port is not None
    assert listening_addresses(broker.port) == {"127.0.0.1"}


# Finding 3 (medium): no limit on header size. Every port refuses an oversized head itself.
@pytest.mark.parametrize("service", PROCESSES)
def test_every_port_refuses_a_megabyte_header_with_431(
    running: RunningPlatform, service: str
) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: " + b"r" * 1_000_000 + b"\r\n\r\n"
    answer = raw_answer(running, service, head)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"application/problem+json" in answer


@pytest.mark.parametrize("service", PROCESSES)
def test_every_port_refuses_two_thousand_small_headers_with_431(
    running: RunningPlatform, service: str
) -> None:
    many = b"".join(b"X-Filler-%04d: %s\r\n" % (n, b"f" * 24) for n in range(2000))  # ~84 KB
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"
    answer = raw_answer(running, service, head)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


# Finding 4 (medium): a client that sent part of a head kept its connection past 90 s.
def test_every_port_ends_a_head_that_never_completes_within_its_timeout(
    running: RunningPlatform,
) -> None:
    connections = []
    for service in PROCESSES:
        host, port = running.url(service).removeprefix("http://").split(":")
        connection = socket.create_connection((host, int(port)), timeout=20)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        connections.append((service, connection))
    started = time.monotonic()
    for service, connection in connections:
        with connection:
            answer = read_to_end(connection)
        assert answer.startswith(b"HTTP/1.1 408 "), (service, answer[:200])
    # The default head timeout is 10 s; the sweep that enforces it runs every second.
    assert time.monotonic() - started < 15


# Finding 5 (low): every answer said `server: uvicorn`.
@pytest.mark.parametrize("service", PROCESSES)
def test_no_port_names_its_server(running: RunningPlatform, service: str) -> None:
    response = httpx.get(running.url(service) + "/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers


# Finding 5 (low): response hygiene.
def test_token_answers_are_never_cached(gateway: httpx.Client, alice: Account) -> None:
    login = gateway.post("/v1/auth/login", json={"email": alice.email, "password": alice.password})
    assert login.status_code == 200
    refreshed = gateway.post(
        "/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    for response in (login, refreshed):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"


def test_personal_answers_are_not_stored_and_none_is_sniffed(
    gateway: httpx.Client, alice: Account
) -> None:
    me = gateway.get("/v1/users/me", headers=alice.auth)
    assert me.headers["cache-control"] == "no-store"
    catalog = gateway.get("/v1/products")
    assert "no-store" not in catalog.headers.get("cache-control", "")  # public: cacheable
    for response in (me, catalog, gateway.get("/v1/nowhere")):
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_no_redirect_reflects_the_host_header(gateway: httpx.Client) -> None:
    response = gateway.get("/.well-known/jwks.json/", headers={"Host": "evil.example"})
    assert not response.is_redirect
    assert "evil.example" not in response.headers.get("location", "")


@pytest.mark.parametrize("hidden", ["\x00", "\u202e", "\u200b", "\ufeff", "\n"])
def test_text_fields_and_ids_refuse_control_and_format_characters(
    gateway: httpx.Client, alice: Account, hidden: str
) -> None:
    def assert_422(response: httpx.Response) -> None:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)

    for field in ("name", "description"):
        body = {"name": "Kettle", "description": "Boils water", "price": 100, "stock": 1}
        body[field] = f"Ket{hidden}tle"
        assert_422(gateway.post("/v1/products", json=body, headers=alice.auth))
    order = {"items": [{"product_id": f"p{hidden}1", "quantity": 1}]}
    assert_422(gateway.post("/v1/orders", json=order, headers=alice.auth))
    assert_422(gateway.get("/v1/products", params={"q": f"{hidden}zzzz"}))
    assert gateway.get("/v1/products", params={"q": "zzzz-no-such-thing"}).json()["items"] == []


def test_the_docs_load_swagger_ui_from_the_gateway_not_a_cdn(gateway: httpx.Client) -> None:
    page = gateway.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text
    script = gateway.get("/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 100_000  # the real bundle, not a stub


def test_the_gateway_serves_its_metrics_to_operators_not_to_clients(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    assert gateway.get("/metrics").status_code == 404
    scraped = httpx.get(running.metrics_url("gateway"), timeout=10)
    assert scraped.status_code == 200
    assert "commerce_gateway_circuit_state" in scraped.text


# Finding 6 (business): one user could hold all the stock of 50 products with one 50 x 1000
# order. Orders that are not final hold at most 1000 units per user (docs/adr/0063).
def test_one_user_cannot_hold_more_than_the_cap(gateway: httpx.Client, alice: Account) -> None:
    seller = new_account(gateway, "seller")
    kettle, lamp = (new_product(gateway, seller, price=1_000, stock=1_000) for _ in range(2))

    everything = place(gateway, alice, [(kettle["id"], 1_000), (lamp["id"], 1_000)])

    assert everything.status_code == 409, everything.text
    assert everything.headers["content-type"].startswith(PROBLEM)
    problem = everything.json()
    assert problem["type"].endswith("/held-units-cap-reached")
    assert "at most 1000 units" in problem["detail"]
    assert all_orders(gateway, alice) == []
    # One full line is within the cap; once it is confirmed, not one more unit.
    kettles = place_ok(gateway, alice, [(kettle["id"], 1_000)])
    assert wait_final(gateway, alice, kettles["id"])["status"] == "CONFIRMED"
    assert place(gateway, alice, [(lamp["id"], 1)]).status_code == 409
    assert stock_of(gateway, lamp["id"]) == 1_000  # nothing was ever reserved for alice
    # Cancelling gives the units back.
    assert gateway.post(f"/v1/orders/{kettles['id']}/cancel", headers=alice.auth).is_success
    assert place(gateway, alice, [(lamp["id"], 1)]).status_code == 202


# Finding 6 (business): an access token kept working after logout or family revocation.
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_access_token_stops_working_at_logout(gateway: httpx.Client, alice: Account) -> None:
    other_device = gateway.post(
        "/v1/auth/login", json={"email": alice.email, "password": alice.password}
    ).json()
    assert gateway.get("/v1/users/me", headers=alice.auth).status_code == 200

    logout = gateway.post("/v1/auth/logout", json={"refresh_token": alice.refresh_token})

    assert logout.status_code == 204
    assert "x-revoked-session" not in logout.headers
    refused(gateway.get("/v1/users/me", headers=alice.auth))
    refused(gateway.get("/v1/orders", headers=alice.auth))
    # Signing out on one device leaves the others signed in.
    assert gateway.get("/v1/users/me", headers=bearer(other_device["access_token"])).is_success


def test_a_reused_refresh_token_stops_every_access_token_of_its_sign_in(
    gateway: httpx.Client, alice: Account
) -> None:
    renewed = gateway.post("/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert renewed.status_code == 200
    newer_access = bearer(renewed.json()["access_token"])
    assert gateway.get("/v1/users/me", headers=newer_access).status_code == 200

    stolen = gateway.post("/v1/auth/refresh", json={"refresh_token": alice.refresh_token})

    refused(stolen)
    assert "x-revoked-session" not in stolen.headers
    refused(gateway.get("/v1/users/me", headers=newer_access))
    refused(gateway.get("/v1/users/me", headers=alice.auth))
