"""Shoppers and sellers against the gateway, for Locust.

    make load USERS=20 DURATION=30s HOST=http://127.0.0.1:8000    # headless, prints the tables
    .venv/bin/locust -f load/locustfile.py --host http://127.0.0.1:8000   # web UI on :8089

Shoppers browse, search, view a product, put products in stock in their cart, check the cart
out with the test card ``tok_visa`` once it has lines, and poll their orders; sellers put
products with stock on sale and edit their price and stock. After the run every order a
checkout placed is read once more (waiting a few seconds for those still PENDING), and the
orders by final status and those that reached CONFIRMED are printed after Locust's tables.
``--think-min``/``--think-max`` set the pause between a user's tasks (0.5 to 2 s).

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

from locust import HttpUser, events, task
from locust.env import Environment

PASSWORD = "load-test-password"
CARD = {"method": "card", "token": "tok_visa"}
MAX_CART_LINES = 50
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

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        low = getattr(options, "think_min", 0.5)
        high = getattr(options, "think_max", 2.0)
        return random.uniform(low, max(low, high))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def expect(self, status: int, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a signed-in request answered ``status``; ``None`` (and a failure
        in Locust's table, with the answer) otherwise."""
        headers = {**self.auth, **kwargs.pop("headers", {})}
        with self.client.request(
            method, path, headers=headers, catch_response=True, **kwargs
        ) as response:
            if response.status_code != status:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return None
            return response.json()


class Shopper(Account):
    weight = 9
    role = "shopper"

    def on_start(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.cart: set[str] = set()  # the product ids of the cart's lines, as last seen
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

    @task(3)
    def add_to_cart(self) -> None:
        """A product in stock into the cart; a full cart only changes a line's quantity."""
        in_stock = [p["id"] for p in self.seen if p.get("stock", 0) > 0]
        if len(self.cart) >= MAX_CART_LINES:
            in_stock = [pid for pid in in_stock if pid in self.cart] or list(self.cart)
        if not in_stock:
            return
        cart = self.expect(
            200,
            "PUT",
            f"/v1/cart/items/{random.choice(in_stock)}",
            json={"quantity": random.randint(1, 3)},
            name="/v1/cart/items/{id}",
        )
        if cart is not None:
            self.cart = {line["product_id"] for line in cart["items"]}

    @task(1)
    def check_out(self) -> None:
        """Look at the cart and pay for it with tok_visa once it has lines. Not while the last
        checkout's order is still PENDING: its lines stay in the cart until it is CONFIRMED,
        and a second checkout would order them again."""
        last = LEDGER.orders.get(self.my_orders[-1]) if self.my_orders else None
        if not self.cart or (last is not None and last.status == "PENDING"):
            return
        cart = self.expect(200, "GET", "/v1/cart", name="/v1/cart")
        if cart is None:
            return
        self.cart = {line["product_id"] for line in cart["items"]}
        if not self.cart:
            return
        order = self.expect(
            202,
            "POST",
            "/v1/cart/checkout",
            json={"payment": CARD},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="/v1/cart/checkout",
        )
        if order is not None:
            self.my_orders.append(order["id"])
            LEDGER.orders[order["id"]] = PlacedOrder(token=self.token)

    @task(2)
    def poll_order(self) -> None:
        if not self.my_orders:
            return
        # The last checkout's order while it is PENDING (the next checkout waits for it).
        order_id = self.my_orders[-1]
        if LEDGER.orders[order_id].status != "PENDING":
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
        product = self.expect(
            201,
            "POST",
            "/v1/products",
            json={
                "name": f"Load {kind} {uuid.uuid4().hex[:8]}",
                "description": "made by the load generator",
                "price": random.randint(1, 500) * 100,
                "stock": random.randint(50, 500),
            },
            name="/v1/products (create)",
        )
        if product is not None:
            self.products.append(product["id"])

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


@events.init_command_line_parser.add_listener
def on_parser(parser: Any) -> None:
    parser.add_argument(
        "--think-min", type=float, default=0.5, help="shortest pause between tasks, seconds"
    )
    parser.add_argument(
        "--think-max", type=float, default=2.0, help="longest pause between tasks, seconds"
    )


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
    print(f"Orders placed at checkout: {len(LEDGER.orders)} ({others or 'none'})")
    print(f"Orders CONFIRMED: {statuses['CONFIRMED']}")
    failures = sum(error.occurrences for env in ENVIRONMENT for error in env.stats.errors.values())
    where = " (Locust's error report above lists each)" if failures else ""
    print(f"Failures: {failures}{where}")
