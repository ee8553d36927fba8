"""The saga survives restarts: of the product service, and separately of the broker.

These run on a platform of their own (restarting a process would disturb the shared one)
with a short re-drive delay, so that orders whose messages were lost with the embedded
broker's memory are asked for again within seconds. Orders are placed by a background thread
while the main thread restarts a process once a given number of orders went in; nothing
waits on a fixed sleep. Afterwards every order must be final and stock conserved:
what confirmed orders hold plus what is left equals what the seller put in.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from nacl.signing import SigningKey

from commerce.kernel.http.gateway_proof import PROOF_HEADER, encode_proof
from commerce.kernel.proof_files import GATEWAY_PROOF_KEY_FILE
from tests.conftest import RUN_ID
from tests.system.accounts import Account, new_account, with_role
from tests.system.conftest import RunningPlatform, mariadb_env, start_platform
from tests.system.test_ordering import (
    all_orders,
    get_order,
    new_product,
    place,
    poll,
    stock_of,
    wait_no_pending,
)

pytestmark = [pytest.mark.system, pytest.mark.slow]

REDRIVE_ENV = {
    "ORDER_REDRIVE_AFTER_SECONDS": "2",
    "ORDER_REDRIVE_INTERVAL_SECONDS": "2",
    "ORDER_REDRIVE_POLL_SECONDS": "0.5",
    # The payment service's outage below lasts seconds: orders wait for it (the system tests'
    # short 4 s deadline would decline them PAYMENT_UNAVAILABLE).
    "PAYMENT_AUTHORIZE_DEADLINE_SECONDS": "25",
}
ORDERS = 60
FAULT_AFTER, RECOVER_AFTER = 20, 40  # orders placed before the fault, and before recovery
DEADLINE_SECONDS = 90.0


@pytest.fixture(scope="module", params=["embedded", "mariadb"])
def faulty(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    profile = request.param
    env = dict(REDRIVE_ENV)
    if profile == "mariadb":
        env.update(
            mariadb_env(request.getfixturevalue("mariadb"), request.getfixturevalue("redis_url"))
        )
        env["AUTH_REDIS_KEY_PREFIX"] = f"test:{RUN_ID}:faults:auth:"
        env["GATEWAY_REDIS_KEY_PREFIX"] = f"test:{RUN_ID}:faults:gateway:"
    platform = start_platform(tmp_path_factory.mktemp(f"faults-{profile}"), profile, env)
    yield RunningPlatform(platform=platform, profile=profile)
    platform.stop()


class OrderStream:
    """Places ``count`` one-unit orders from a background thread, one after the other per
    worker, and counts how many were accepted."""

    def __init__(self, running: RunningPlatform, buyers: list[Account], product_id: str) -> None:
        self._running = running
        self._buyers = buyers
        self._product_id = product_id
        self.accepted: list[dict] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(DEADLINE_SECONDS)
        assert not self._thread.is_alive(), "placing the orders did not finish"
        assert self.failures == []

    def placed(self) -> int:
        with self._lock:
            return len(self.accepted)

    def _run(self) -> None:
        with self._running.client() as client:
            for i in range(ORDERS):
                response = place(
                    client, self._buyers[i % len(self._buyers)], [(self._product_id, 1)]
                )
                with self._lock:
                    if response.status_code == 202:
                        self.accepted.append(response.json())
                    else:
                        self.failures.append(f"{response.status_code} {response.text}")


class Scenario:
    """A seller with plenty of stock (twice the orders), three buyers, and the order stream."""

    def __init__(self, running: RunningPlatform) -> None:
        self.client = running.client()
        seller = new_account(self.client, "seller")
        self.buyers = [new_account(self.client, f"buyer{i}") for i in range(3)]
        self.initial = 2 * ORDERS
        product = new_product(self.client, seller, price=2_500, stock=self.initial)
        self.product_id: str = product["id"]
        self.stream = OrderStream(running, self.buyers, self.product_id)

    def wait_placed(self, count: int) -> None:
        poll(self.stream.placed, lambda n: n >= count, f"{count} orders placed")  # type: ignore[operator]

    def orders(self) -> list[dict]:
        return [o for buyer in self.buyers for o in all_orders(self.client, buyer)]

    def wait_stock(self, expected: int) -> None:
        poll(
            lambda: stock_of(self.client, self.product_id),
            lambda stock: stock == expected,
            f"stock of {self.product_id}",
            DEADLINE_SECONDS,
        )


@pytest.fixture
def scenario(faulty: RunningPlatform) -> Iterator[Scenario]:
    scenario = Scenario(faulty)
    yield scenario
    scenario.client.close()


def test_a_product_service_restart_mid_run(faulty: RunningPlatform, scenario: Scenario) -> None:
    platform = faulty.platform
    scenario.stream.start()
    scenario.wait_placed(FAULT_AFTER)
    platform.stop_service("product")
    scenario.wait_placed(RECOVER_AFTER)
    # An order placed while the catalog is down is surely PENDING when it is cancelled.
    owner = scenario.buyers[0]
    placed = place(scenario.client, owner, [(scenario.product_id, 1)])
    assert placed.status_code == 202, placed.text
    response = scenario.client.post(f"/v1/orders/{placed.json()['id']}/cancel", headers=owner.auth)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED" and cancelled["total"] is None
    platform.start_service("product")
    platform.wait_ready(("product",))
    scenario.stream.join()
    wait_no_pending(scenario.client, scenario.buyers, DEADLINE_SECONDS)

    orders = {o["id"]: o for o in scenario.orders()}
    assert len(orders) == ORDERS + 1
    assert orders.pop(cancelled["id"])["status"] == "CANCELLED"
    # Plenty of stock: every other order is confirmed, each holding exactly one unit, and
    # the cancelled one holds nothing (never reserved, or released again).
    assert [o["status"] for o in orders.values()] == ["CONFIRMED"] * ORDERS
    scenario.wait_stock(scenario.initial - ORDERS)


def test_a_broker_restart_mid_run(faulty: RunningPlatform, scenario: Scenario) -> None:
    scenario.stream.start()
    scenario.wait_placed(FAULT_AFTER)
    faulty.platform.restart_broker()
    scenario.stream.join()
    wait_no_pending(scenario.client, scenario.buyers, DEADLINE_SECONDS)

    orders = scenario.orders()
    assert len(orders) == ORDERS
    assert [o["status"] for o in orders] == ["CONFIRMED"] * ORDERS
    assert all(o["total"] == 2_500 for o in orders)
    # One unit per order: nothing was reserved twice by a re-driven or republished request.
    scenario.wait_stock(scenario.initial - ORDERS)


# --- payments under faults (v1.1) ----------------------------------------------------------

CARD = {"method": "card", "token": "tok_visa"}
PAID_ORDERS = 36
KILL_PAYMENT_AFTER, RESTART_PAYMENT_AFTER, RESTART_BROKER_AFTER = 8, 16, 24


def staff_proof(running: RunningPlatform, staff: Account) -> str:
    """What the gateway would send for ``staff``, signed with this platform's own proof key:
    how an operator reads the payment service, which no public route reaches."""
    pem = (running.platform.config.var_dir / GATEWAY_PROOF_KEY_FILE).read_bytes()
    private = load_pem_private_key(pem, password=None)
    assert isinstance(private, Ed25519PrivateKey)
    now = int(time.time())
    claims = {
        "iss": "commerce-gateway",
        "aud": "commerce-services",
        "iat": now,
        "exp": now + 60,
        "addr": "127.0.0.1",
        "sub": staff.id,
        "email": staff.email,
        "roles": ["USER", "STAFF"],
    }
    return encode_proof(claims, SigningKey(private.private_bytes_raw())).decode()


def payment_history(running: RunningPlatform, staff: Account, order_id: str) -> list[str]:
    response = httpx.get(
        running.url("payment") + f"/v1/payments/{order_id}",
        headers={PROOF_HEADER: staff_proof(running, staff)},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [entry["status"] for entry in response.json()["history"]]


def test_payments_survive_a_payment_service_kill_and_a_broker_restart(
    faulty: RunningPlatform,
) -> None:
    """Card orders keep coming while the payment service is killed (SIGKILL) and later the
    broker restarts empty: every order leaves PENDING, stock is conserved, no payment is
    authorized or captured twice, and no cancelled or rejected order keeps a charge."""
    platform = faulty.platform
    with faulty.client() as client:
        seller = new_account(client, "seller")
        buyers = [new_account(client, f"payer{i}") for i in range(3)]
        staff = with_role(faulty, client, new_account(client, "staff"), "STAFF")
        initial = 2 * PAID_ORDERS
        product_id = new_product(client, seller, price=1_200, stock=initial)["id"]

        placed: list[tuple[Account, str]] = []
        for i in range(PAID_ORDERS):
            if i == KILL_PAYMENT_AFTER:
                os.kill(platform.processes["payment"].pid, signal.SIGKILL)
                platform.processes["payment"].wait()
            elif i == RESTART_PAYMENT_AFTER:
                platform.start_service("payment")
                platform.wait_ready(("payment",))
            elif i == RESTART_BROKER_AFTER:
                platform.restart_broker()
            buyer = buyers[i % len(buyers)]
            body = {"items": [{"product_id": product_id, "quantity": 1}], "payment": CARD}
            response = client.post("/v1/orders", json=body, headers=buyer.auth)
            assert response.status_code == 202, response.text
            placed.append((buyer, response.json()["id"]))
        wait_no_pending(client, buyers, DEADLINE_SECONDS)

        confirmed = [(b, o) for b, o in placed if get_order(client, b, o)["status"] == "CONFIRMED"]
        assert len(confirmed) == PAID_ORDERS  # plenty of stock, a good card: all confirmed
        cancelled, shipped = confirmed[::4], confirmed[1::4]
        for buyer, order_id in cancelled:
            answer = client.post(f"/v1/orders/{order_id}/cancel", headers=buyer.auth)
            assert answer.status_code == 200, answer.text
        shipment = {"carrier": "CJ", "tracking_number": "drill"}
        for _buyer, order_id in shipped:
            answer = client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=staff.auth)
            assert answer.status_code == 200, answer.text

        def payment_of(buyer: Account, order_id: str) -> str:
            return str(get_order(client, buyer, order_id)["payment"]["status"])

        for buyer, order_id in cancelled:
            poll(lambda b=buyer, o=order_id: payment_of(b, o), lambda s: s == "VOIDED", order_id)
        for buyer, order_id in shipped:
            poll(lambda b=buyer, o=order_id: payment_of(b, o), lambda s: s == "CAPTURED", order_id)
        held = len(confirmed) - len(cancelled)  # one unit each; shipped ones keep theirs
        poll(
            lambda: stock_of(client, product_id),
            lambda stock: stock == initial - held,
            "stock after the drill",
            DEADLINE_SECONDS,
        )
        for _buyer, order_id in placed:
            history = payment_history(faulty, staff, order_id)
            assert history.count("AUTHORIZED") == 1, (order_id, history)
            assert history.count("CAPTURED") <= 1, (order_id, history)
