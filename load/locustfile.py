"""Shoppers and sellers against the gateway, for Locust.

    make load USERS=20 DURATION=30s HOST=http://127.0.0.1:8000    # headless, prints the tables
    .venv/bin/locust -f load/locustfile.py --host http://127.0.0.1:8000   # web UI on :8089

Shoppers browse, search, view a product, place an order for a product in stock and poll their
orders; sellers put products with stock on sale and edit their price and stock. After the run
every order a shopper placed is read once more (waiting a few seconds for those still PENDING),
and the orders that reached CONFIRMED are printed after Locust's tables.

Only Locust and the standard library are imported here, so the file runs in the stock Locust
image too (deploy/kubernetes/load). The platform's own code never imports Locust (gevent
patches the standard library of the process it runs in).
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

PASSWORD = "load-test-password"
FINAL = ("CONFIRMED", "REJECTED", "CANCELLED", "SHIPPED", "DELIVERED")
SETTLE_SECONDS = 10.0


@dataclass
class PlacedOrder:
    token: str
    status: str = "PENDING"


@dataclass
class Ledger:
    """Every order the shoppers placed, by id; read once more when the test stops."""

    orders: dict[str, PlacedOrder] = field(default_factory=dict)
    settled: bool = False

    def statuses(self) -> Counter[str]:
        return Counter(order.status for order in self.orders.values())


LEDGER = Ledger()
ENVIRONMENT: list[Environment] = []


class Account(HttpUser):
    """Signs up with a unique e-mail and signs in; its requests then carry the token."""

    abstract = True
    wait_time = between(0.5, 2.0)
    role = "user"
    token = ""

    def on_start(self) -> None:
        email = f"{self.role}-{uuid.uuid4().hex[:12]}@load.example.com"
        self.client.post(
            "/v1/users",
            json={"email": email, "password": PASSWORD, "name": f"Load {self.role}"},
            name="/v1/users",
        )
        with self.client.post(
            "/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            name="/v1/auth/login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"sign-in: {response.status_code} {response.text[:200]}")
                self.stop()
                return
            self.token = response.json()["access_token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Shopper(Account):
    weight = 9
    role = "shopper"

    def on_start(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.my_orders: list[str] = []
        super().on_start()

    def remember(self, page: dict[str, Any]) -> None:
        self.seen = (page.get("items", []) + self.seen)[:100]

    @task(10)
    def browse(self) -> None:
        """The catalog a page at a time: the first page, then one or two more."""
        cursor: str | None = None
        for _ in range(random.randint(1, 3)):
            params: dict[str, Any] = {"limit": 20}
            if cursor:
                params["cursor"] = cursor
            response = self.client.get("/v1/products", params=params, name="/v1/products")
            if response.status_code != 200:
                return
            page = response.json()
            self.remember(page)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    @task(4)
    def search(self) -> None:
        term = random.choice(["load", "mug", "lamp", "shirt", "book", "chair"])
        response = self.client.get(
            "/v1/products", params={"q": term, "limit": 20}, name="/v1/products?q="
        )
        if response.status_code == 200:
            self.remember(response.json())

    @task(6)
    def view_product(self) -> None:
        if self.seen:
            product = random.choice(self.seen)
            self.client.get(f"/v1/products/{product['id']}", name="/v1/products/{id}")

    # "Add to cart" (weight 3) and "check out with tok_visa" (weight 1) come with the cart
    # service (issue 10); until then a shopper places an order directly (v1, no payment: the
    # invoice default), the check-out's weight.
    @task(1)
    def place_order(self) -> None:
        in_stock = [p for p in self.seen if p.get("stock", 0) > 0]
        if not in_stock:
            return
        product = random.choice(in_stock)
        with self.client.post(
            "/v1/orders",
            json={"items": [{"product_id": product["id"], "quantity": 1}]},
            headers=self.auth,
            name="/v1/orders",
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return
            order_id = response.json()["id"]
        self.my_orders.append(order_id)
        LEDGER.orders[order_id] = PlacedOrder(token=self.token)

    @task(2)
    def poll_order(self) -> None:
        if not self.my_orders:
            return
        order_id = random.choice(self.my_orders)
        response = self.client.get(
            f"/v1/orders/{order_id}", headers=self.auth, name="/v1/orders/{id}"
        )
        if response.status_code == 200:
            LEDGER.orders[order_id].status = response.json()["status"]


class Seller(Account):
    weight = 1
    role = "seller"

    def on_start(self) -> None:
        self.products: list[str] = []
        super().on_start()
        self.create_product()

    @task(3)
    def create_product(self) -> None:
        kind = random.choice(["mug", "lamp", "shirt", "book", "chair"])
        with self.client.post(
            "/v1/products",
            json={
                "name": f"Load {kind} {uuid.uuid4().hex[:8]}",
                "description": "made by the load generator",
                "price": random.randint(1, 500) * 100,
                "stock": random.randint(50, 500),
            },
            headers=self.auth,
            name="/v1/products (create)",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return
            self.products.append(response.json()["id"])

    @task(2)
    def edit_product(self) -> None:
        if not self.products:
            return
        edit = random.choice(
            [{"price": random.randint(1, 500) * 100}, {"stock": random.randint(50, 500)}]
        )
        self.client.patch(
            f"/v1/products/{random.choice(self.products)}",
            json=edit,
            headers=self.auth,
            name="/v1/products/{id} (edit)",
        )


def settle(environment: Environment) -> None:
    """Read every placed order until none is PENDING or SETTLE_SECONDS pass; these reads go
    through Locust's client too, so a failing one is in the failure table."""
    if environment.host is None:
        return
    user = Shopper(environment)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        pending = [oid for oid, order in LEDGER.orders.items() if order.status not in FINAL]
        if not pending or time.monotonic() > deadline:
            break
        for order_id in pending:
            order = LEDGER.orders[order_id]
            response = user.client.get(
                f"/v1/orders/{order_id}",
                headers={"Authorization": f"Bearer {order.token}"},
                name="/v1/orders/{id} (after the run)",
            )
            if response.status_code == 200:
                order.status = response.json()["status"]
        time.sleep(0.5)
    LEDGER.settled = True


@events.init.add_listener
def on_init(environment: Environment, **_: Any) -> None:
    ENVIRONMENT.append(environment)


@events.test_stop.add_listener
def on_test_stop(environment: Environment, **_: Any) -> None:
    if not LEDGER.settled:
        settle(environment)


@events.quit.add_listener
def on_quit(**_: Any) -> None:
    """After Locust's own tables (statistics, percentiles, failures)."""
    statuses = LEDGER.statuses()
    others = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
    print(f"Orders placed: {len(LEDGER.orders)} ({others or 'none'})")
    print(f"Orders CONFIRMED: {statuses['CONFIRMED']}")
    failures = sum(error.occurrences for env in ENVIRONMENT for error in env.stats.errors.values())
    where = " (Locust's error report above lists each)" if failures else ""
    print(f"Failures: {failures}{where}")
