"""Ordering through the gateway with every process running: the saga end to end.

API.md, "Ordering": prices come from the catalog, reservation is all or nothing, cancel
releases exactly, another user's order is not found, an Idempotency-Key replays, and N
concurrent orders on stock S confirm exactly min(N, S) units. Every wait is a poll with a
deadline; nothing asserts on elapsed time.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.system.accounts import Account, new_account
from tests.system.conftest import RunningPlatform

pytestmark = pytest.mark.system

DEADLINE_SECONDS = 60.0
FINAL = {"CONFIRMED", "REJECTED", "CANCELLED"}


# --- helpers (also used by test_ordering_faults.py) -------------------------------------


def new_product(client: httpx.Client, seller: Account, *, price: int, stock: int) -> dict:
    body = {"name": f"Item {uuid.uuid4().hex[:8]}", "price": price, "stock": stock}
    response = client.post("/v1/products", json=body, headers=seller.auth)
    assert response.status_code == 201, response.text
    return response.json()


def stock_of(client: httpx.Client, product_id: str) -> int:
    response = client.get(f"/v1/products/{product_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])


def place(
    client: httpx.Client,
    buyer: Account,
    lines: Iterable[tuple[str, int]],
    *,
    key: str | None = None,
) -> httpx.Response:
    headers = dict(buyer.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"items": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}
    return client.post("/v1/orders", json=body, headers=headers)


def place_ok(client: httpx.Client, buyer: Account, lines: Iterable[tuple[str, int]]) -> dict:
    response = place(client, buyer, lines)
    assert response.status_code == 202, response.text
    return response.json()


def poll(
    probe: Callable[[], object],
    done: Callable[[object], bool],
    what: str,
    deadline: float = DEADLINE_SECONDS,
) -> object:
    """Call ``probe`` until ``done`` says yes; fail with the last value after ``deadline``."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: still {value!r} after {deadline:.0f} s")
        time.sleep(0.1)


def get_order(client: httpx.Client, buyer: Account, order_id: str) -> dict:
    response = client.get(f"/v1/orders/{order_id}", headers=buyer.auth)
    assert response.status_code == 200, response.text
    return response.json()


def wait_final(client: httpx.Client, buyer: Account, order_id: str) -> dict:
    order = poll(
        lambda: get_order(client, buyer, order_id),
        lambda o: o["status"] in FINAL,  # type: ignore[index]
        f"order {order_id}",
    )
    assert isinstance(order, dict)
    return order


def wait_stock(client: httpx.Client, product_id: str, expected: int) -> None:
    poll(lambda: stock_of(client, product_id), lambda s: s == expected, f"stock of {product_id}")


def all_orders(client: httpx.Client, buyer: Account, status: str | None = None) -> list[dict]:
    orders: list[dict] = []
    params: dict[str, str | int] = {"limit": 100}
    if status:
        params["status"] = status
    while True:
        response = client.get("/v1/orders", params=params, headers=buyer.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        orders += page["items"]
        if page["next_cursor"] is None:
            return orders
        params["cursor"] = page["next_cursor"]


def wait_no_pending(
    client: httpx.Client, buyers: Iterable[Account], deadline: float = DEADLINE_SECONDS
) -> None:
    buyers = list(buyers)
    poll(
        lambda: sum(len(all_orders(client, buyer, "PENDING")) for buyer in buyers),
        lambda pending: pending == 0,
        "orders still PENDING",
        deadline,
    )


def place_concurrently(
    running: RunningPlatform,
    jobs: list[tuple[Account, list[tuple[str, int]]]],
    workers: int = 32,
) -> list[httpx.Response]:
    """Each job is one POST /v1/orders; ``workers`` threads, each with its own connection."""
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = running.client()
            with lock:
                clients.append(local.client)
        return local.client  # type: ignore[no-any-return]

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda job: place(client(), job[0], job[1]), jobs))
    finally:
        for c in clients:
            c.close()


# --- tests ------------------------------------------------------------------------------


@pytest.fixture
def seller(gateway: httpx.Client) -> Account:
    return new_account(gateway, "seller")


@pytest.fixture
def buyer(gateway: httpx.Client) -> Account:
    return new_account(gateway, "buyer")


def test_two_lines_are_priced_by_the_catalog_and_reserve_stock(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    tea = new_product(gateway, seller, price=4_500, stock=10)
    cup = new_product(gateway, seller, price=12_000, stock=3)
    response = place(gateway, buyer, [(tea["id"], 2), (cup["id"], 3)])
    assert response.status_code == 202, response.text
    placed = response.json()
    assert placed["status"] == "PENDING" and placed["user_id"] == buyer.id
    assert placed["total"] is None and placed["reason"] is None
    assert [item["unit_price"] for item in placed["items"]] == [None, None]
    assert response.headers["location"] == f"/v1/orders/{placed['id']}"

    order = wait_final(gateway, buyer, placed["id"])
    assert order["status"] == "CONFIRMED"
    assert order["items"] == [
        {"product_id": tea["id"], "quantity": 2, "unit_price": 4_500},
        {"product_id": cup["id"], "quantity": 3, "unit_price": 12_000},
    ]
    assert order["total"] == 2 * 4_500 + 3 * 12_000
    assert order["reason"] is None
    assert stock_of(gateway, tea["id"]) == 8
    assert stock_of(gateway, cup["id"]) == 0
    # the Location resolves through the gateway, and the order is in the caller's list
    assert gateway.get(response.headers["location"], headers=buyer.auth).json() == order
    assert [o["id"] for o in all_orders(gateway, buyer)] == [order["id"]]
    assert [o["id"] for o in all_orders(gateway, buyer, "CONFIRMED")] == [order["id"]]


def test_a_rejection_leaves_every_stock_untouched(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    plenty = new_product(gateway, seller, price=1_000, stock=50)
    scarce = new_product(gateway, seller, price=2_000, stock=1)
    short = wait_final(
        gateway, buyer, place_ok(gateway, buyer, [(plenty["id"], 5), (scarce["id"], 2)])["id"]
    )
    assert short["status"] == "REJECTED" and short["reason"] == "OUT_OF_STOCK"
    assert short["total"] is None
    unknown = wait_final(
        gateway,
        buyer,
        place_ok(gateway, buyer, [(plenty["id"], 5), (str(uuid.uuid4()), 1)])["id"],
    )
    assert unknown["status"] == "REJECTED" and unknown["reason"] == "PRODUCT_NOT_FOUND"
    assert stock_of(gateway, plenty["id"]) == 50
    assert stock_of(gateway, scarce["id"]) == 1
    cancel = gateway.post(f"/v1/orders/{short['id']}/cancel", headers=buyer.auth)
    assert cancel.status_code == 409, cancel.text


def test_cancel_of_a_confirmed_order_releases_exactly(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    tea = new_product(gateway, seller, price=4_500, stock=10)
    cup = new_product(gateway, seller, price=12_000, stock=4)
    order = wait_final(
        gateway, buyer, place_ok(gateway, buyer, [(tea["id"], 3), (cup["id"], 4)])["id"]
    )
    assert order["status"] == "CONFIRMED"
    assert (stock_of(gateway, tea["id"]), stock_of(gateway, cup["id"])) == (7, 0)
    response = gateway.post(f"/v1/orders/{order['id']}/cancel", headers=buyer.auth)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED" and cancelled["total"] == order["total"]
    wait_stock(gateway, tea["id"], 10)
    wait_stock(gateway, cup["id"], 4)
    again = gateway.post(f"/v1/orders/{order['id']}/cancel", headers=buyer.auth)
    assert again.status_code == 409, again.text
    # the released units serve the next order
    assert (
        wait_final(gateway, buyer, place_ok(gateway, buyer, [(cup["id"], 4)])["id"])["status"]
        == "CONFIRMED"
    )


def test_cancel_of_a_pending_order_releases_whatever_was_reserved(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    """Cancelled right after the 202: the catalog may not have seen the order yet, or may
    reserve it just before the cancellation arrives (then it releases it when the cancellation
    follows on the same partition); either way the stock ends where it started."""
    tea = new_product(gateway, seller, price=4_500, stock=20)
    cancelled_while_pending = 0
    ids = []
    for _ in range(5):
        placed = place_ok(gateway, buyer, [(tea["id"], 2)])
        response = gateway.post(f"/v1/orders/{placed['id']}/cancel", headers=buyer.auth)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "CANCELLED"
        # A CANCELLED order keeps its prices if it was confirmed first: none means PENDING.
        cancelled_while_pending += response.json()["total"] is None
        ids.append(placed["id"])
    assert cancelled_while_pending >= 1
    wait_stock(gateway, tea["id"], 20)
    assert [(o["id"], o["status"]) for o in all_orders(gateway, buyer)] == [
        (order_id, "CANCELLED") for order_id in reversed(ids)
    ]


def test_another_users_order_is_not_found(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    tea = new_product(gateway, seller, price=4_500, stock=10)
    order = place_ok(gateway, buyer, [(tea["id"], 1)])
    intruder = new_account(gateway, "intruder")
    foreign = gateway.get(f"/v1/orders/{order['id']}", headers=intruder.auth)
    missing = gateway.get(f"/v1/orders/{uuid.uuid4()}", headers=intruder.auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"]
    cancel = gateway.post(f"/v1/orders/{order['id']}/cancel", headers=intruder.auth)
    assert cancel.status_code == 404
    assert all_orders(gateway, intruder) == []
    assert wait_final(gateway, buyer, order["id"])["status"] == "CONFIRMED"
    assert gateway.get(f"/v1/orders/{order['id']}").status_code == 401


def test_the_same_idempotency_key_returns_the_first_order(
    gateway: httpx.Client, seller: Account, buyer: Account
) -> None:
    tea = new_product(gateway, seller, price=4_500, stock=10)
    key = f"checkout-{uuid.uuid4()}"
    first = place(gateway, buyer, [(tea["id"], 2)], key=key)
    assert first.status_code == 202, first.text
    again = place(gateway, buyer, [(tea["id"], 2)], key=key)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    other_body = place(gateway, buyer, [(tea["id"], 3)], key=key)
    assert other_body.status_code == 422, other_body.text
    assert other_body.headers["content-type"].startswith("application/problem+json")
    assert wait_final(gateway, buyer, first.json()["id"])["status"] == "CONFIRMED"
    assert len(all_orders(gateway, buyer)) == 1
    assert stock_of(gateway, tea["id"]) == 8


@pytest.mark.parametrize(
    ("stock", "orders"),
    # The second: the consumers apply their polls in batches (ADR 0043) of many orders.
    [(10, 120), pytest.param(100, 500, marks=pytest.mark.slow)],
)
def test_concurrent_orders_confirm_exactly_the_stock(
    gateway: httpx.Client, running: RunningPlatform, seller: Account, stock: int, orders: int
) -> None:
    product = new_product(gateway, seller, price=3_000, stock=stock)
    buyers = [new_account(gateway, f"crowd{i}") for i in range(4)]
    jobs = [(buyers[i % len(buyers)], [(product["id"], 1)]) for i in range(orders)]
    responses = place_concurrently(running, jobs)
    assert [r.status_code for r in responses] == [202] * orders, {
        r.status_code: r.text for r in responses if r.status_code != 202
    }
    assert len({r.json()["id"] for r in responses}) == orders
    wait_no_pending(gateway, buyers)
    final = [o for buyer in buyers for o in all_orders(gateway, buyer)]
    statuses = [o["status"] for o in final]
    assert len(final) == orders
    assert statuses.count("CONFIRMED") == stock
    assert statuses.count("REJECTED") == orders - stock
    assert {o["reason"] for o in final if o["status"] == "REJECTED"} == {"OUT_OF_STOCK"}
    assert all(o["total"] == 3_000 for o in final if o["status"] == "CONFIRMED")
    assert stock_of(gateway, product["id"]) == 0
