"""Fault drill: orders keep coming while services and the broker are killed with SIGKILL.

Starts the whole platform on free ports (``--profile embedded``: SQLite files and the
embedded broker; ``mariadb``: fresh MariaDB databases and Redis, still the embedded broker,
since only it can be killed here), opens accounts and products, then for ``--duration``
seconds:

- places one-to-three-unit orders at ``--rate`` per second, each with its own
  ``Idempotency-Key``; a placement that fails on the way (connection refused, 5xx while a
  process is down) is sent again with the same key until it is answered or ``--retry-for``
  passes, as a careful client does; about one accepted order in ten is cancelled by its owner;
- every ``--kill-min`` to ``--kill-max`` seconds kills one process picked at random among
  the services, the gateway and the broker (``kill -9``: no shutdown, no flush), starts it
  again and waits until it is ready.

Then it lets the system settle (``--settle`` seconds at most) and prints what a careful
operator checks after an incident. It exits non-zero on any of:

- **stuck**: an accepted order that is still PENDING (or waits for a release) after settling;
- **stock mismatches**: a product whose stock is not its initial stock minus the units of
  its orders that hold stock (CONFIRMED, SHIPPED, DELIVERED);
- **duplicates**: an order the client never placed (a retried request that created a
  second order) or a key answered with two different orders;
- **ended, still charged**: a REJECTED or CANCELLED order whose payment is still
  AUTHORIZED or CAPTURED once everything settled;
- no order accepted or no process killed (a drill that proved nothing).

    .venv/bin/python bench/chaos.py --rate 5 --duration 60      # make chaos RATE=5 DURATION=60

Bounded in time (duration + settle + start-up), loopback only.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from stack import RunningPlatform, profile_platform

from commerce.platform import SERVICES

PASSWORD = "correct horse battery staple"
HOLDING = frozenset({"CONFIRMED", "SHIPPED", "DELIVERED"})
FINAL = frozenset({"CONFIRMED", "REJECTED", "CANCELLED", "SHIPPED", "DELIVERED"})
VICTIMS = (*SERVICES, "gateway", "broker")
# Short re-drives, so an order whose request was lost with the broker asks again quickly.
ENV = {
    "ORDER_REDRIVE_AFTER_SECONDS": "2",
    "ORDER_REDRIVE_INTERVAL_SECONDS": "2",
    "ORDER_REDRIVE_MAX_INTERVAL_SECONDS": "5",
    "ORDER_REDRIVE_POLL_SECONDS": "0.5",
    "AUTH_LOGIN_RATE_PER_ACCOUNT": "100000",
    "AUTH_LOGIN_RATE_PER_ADDRESS": "100000",
    "GATEWAY_RATE_LIMIT_REQUESTS": "1000000",
    "GATEWAY_RATE_LIMIT_BURST": "1000000",
    "ORDER_MAX_HELD_UNITS_PER_USER": "100000000",
}
BUYERS = 6
PRODUCTS = 4
# A request that is not answered in this long was cut off by a kill; it is sent again.
REQUEST_TIMEOUT = httpx.Timeout(5.0, connect=1.0)


@dataclass
class Buyer:
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Ledger:
    """What the client knows: every key it used, the order each key was answered with."""

    buyers: list[Buyer]
    orders: dict[str, tuple[Buyer, str]] = field(default_factory=dict)  # order id -> buyer, key
    answers: dict[str, set[str]] = field(default_factory=dict)  # key -> order ids seen
    refused: Counter[int] = field(default_factory=Counter)
    # Placements that got no answer before the client gave up: (buyer, key, body). Sent once
    # more after the run, with the same key, to learn whether an order was made.
    unanswered: list[tuple[Buyer, str, dict]] = field(default_factory=list)
    cancelled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self, buyer: Buyer, key: str, order_id: str) -> None:
        with self.lock:
            self.orders[order_id] = (buyer, key)
            self.answers.setdefault(key, set()).add(order_id)


@dataclass
class Report:
    accepted: int
    cancelled: int
    refused: dict[int, int]
    unanswered: int
    replayed: int
    kills: Counter[str]
    statuses: Counter[str]
    stuck: list[str]
    stock_mismatches: list[str]
    duplicates: list[str]
    left_charged: list[str]

    @property
    def failed(self) -> bool:
        return bool(
            self.stuck
            or self.stock_mismatches
            or self.duplicates
            or self.left_charged
            or self.accepted == 0
            or not self.kills
        )

    def lines(self) -> Iterator[str]:
        kills = ", ".join(f"{name} {count}" for name, count in sorted(self.kills.items()))
        yield f"orders accepted      {self.accepted} ({self.cancelled} cancelled by their owner)"
        yield "orders by status     " + ", ".join(
            f"{status} {count}" for status, count in sorted(self.statuses.items())
        )
        yield f"placements refused   {dict(sorted(self.refused.items())) or 0}"
        yield (
            f"placements given up  {self.unanswered} (no answer within --retry-for; "
            f"{self.replayed} of them had made an order, found by sending the key again)"
        )
        yield f"kills                {sum(self.kills.values())} ({kills or 'none'})"
        yield f"orders stuck         {len(self.stuck)}"
        yield from (f"  {line}" for line in self.stuck[:20])
        yield f"stock mismatches     {len(self.stock_mismatches)}"
        yield from (f"  {line}" for line in self.stock_mismatches)
        yield f"duplicates           {len(self.duplicates)}"
        yield from (f"  {line}" for line in self.duplicates[:20])
        yield f"ended, still charged {len(self.left_charged)}"
        yield from (f"  {line}" for line in self.left_charged[:20])
        yield "RESULT               " + ("FAILED" if self.failed else "ok")


def sign_up_and_in(client: httpx.Client, label: str) -> Buyer:
    email = f"chaos-{label}-{uuid.uuid4().hex[:10]}@example.com"
    created = client.post("/v1/users", json={"email": email, "password": PASSWORD})
    created.raise_for_status()
    login = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    return Buyer(email, login.json()["access_token"])


def create_products(client: httpx.Client, seller: Buyer, stock: int) -> dict[str, int]:
    products = {}
    for i in range(PRODUCTS):
        body = {"name": f"Drill item {i}", "price": 1_000 * (i + 1), "stock": stock}
        response = client.post("/v1/products", json=body, headers=seller.auth)
        response.raise_for_status()
        products[response.json()["id"]] = stock
    return products


def send_until_answered(
    client: httpx.Client, request: Callable[[], httpx.Response], give_up_at: float
) -> httpx.Response | None:
    """The answer to ``request``, sent again while processes are down; ``None`` if none came.
    Only a request that carries an idempotency key (or is idempotent) may be sent this way."""
    pause = 0.2
    while time.monotonic() < give_up_at:
        try:
            response = request()
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code < 500 and response.status_code != 429:
            return response
        time.sleep(pause)
        pause = min(pause * 2, 2.0)
    return None


class Shoppers:
    """Places orders at a steady rate from a few threads until told to stop."""

    def __init__(
        self,
        base_url: str,
        buyers: list[Buyer],
        products: list[str],
        ledger: Ledger,
        *,
        rate: float,
        retry_for: float,
        seed: int,
    ) -> None:
        self._base_url = base_url
        self._buyers = buyers
        self._products = products
        self._ledger = ledger
        self._interval = 1.0 / rate
        self._retry_for = retry_for
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._tickets: list[float] = []
        self._tickets_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(8)]
        self._clock = threading.Thread(target=self._tick, daemon=True)

    def start(self) -> None:
        self._clock.start()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._clock.join()
        for thread in self._threads:
            thread.join(self._retry_for + 10)

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._tickets_lock:
                self._tickets.append(time.monotonic())

    def _ticket(self) -> bool:
        with self._tickets_lock:
            if self._tickets:
                self._tickets.pop(0)
                return True
        return False

    def _work(self) -> None:
        with httpx.Client(base_url=self._base_url, timeout=REQUEST_TIMEOUT) as client:
            while not self._stop.is_set():
                if not self._ticket():
                    time.sleep(0.01)
                    continue
                with self._tickets_lock:
                    buyer = self._random.choice(self._buyers)
                    product = self._random.choice(self._products)
                    quantity = self._random.randint(1, 3)
                    cancel = self._random.random() < 0.1
                self._place(client, buyer, product, quantity, cancel=cancel)

    def _place(
        self, client: httpx.Client, buyer: Buyer, product: str, quantity: int, *, cancel: bool
    ) -> None:
        key = uuid.uuid4().hex
        body = {"items": [{"product_id": product, "quantity": quantity}]}
        headers = {**buyer.auth, "Idempotency-Key": key}
        give_up_at = time.monotonic() + self._retry_for
        response = send_until_answered(
            client, lambda: client.post("/v1/orders", json=body, headers=headers), give_up_at
        )
        if response is None:
            with self._ledger.lock:
                self._ledger.unanswered.append((buyer, key, body))
            return
        if response.status_code not in (200, 202):
            with self._ledger.lock:
                self._ledger.refused[response.status_code] += 1
            return
        order_id = response.json()["id"]
        self._ledger.accepted(buyer, key, order_id)
        if cancel:
            url = f"/v1/orders/{order_id}/cancel"
            answer = send_until_answered(
                client, lambda: client.post(url, headers=buyer.auth), give_up_at
            )
            if answer is not None and answer.status_code == 200:
                with self._ledger.lock:
                    self._ledger.cancelled += 1


class Killer:
    """Kills one process at random every few seconds, then starts it again."""

    def __init__(
        self, running: RunningPlatform, *, kill_min: float, kill_max: float, seed: int
    ) -> None:
        self._running = running
        self._kill_min = kill_min
        self._kill_max = kill_max
        self._random = random.Random(seed + 1)
        self.kills: Counter[str] = Counter()

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            wait = self._random.uniform(self._kill_min, self._kill_max)
            if time.monotonic() + wait >= end:
                time.sleep(max(0.0, end - time.monotonic()))
                return
            time.sleep(wait)
            self.kill_and_restart(self._random.choice(VICTIMS))

    def kill_and_restart(self, name: str) -> None:
        platform = self._running.platform
        print(f"  kill -9 {name}", flush=True)
        if name == "broker":
            platform.restart_broker()  # SIGKILL, then the same port, empty (memory storage)
        else:
            process = platform.processes[name]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            platform.start_service(name)
            try:
                platform.wait_ready((name,))
            except (RuntimeError, TimeoutError):
                log = self._running.config.log_dir
                if log is not None and (log / f"{name}.log").exists():
                    print((log / f"{name}.log").read_text(errors="replace")[-3000:])
                raise
        self.kills[name] += 1


def replay_unanswered(client: httpx.Client, ledger: Ledger) -> int:
    """Send every placement that got no answer once more, with its key: the order it made,
    if it made one, is answered again (and counted as the client's); else one is made now."""
    replayed = 0
    for buyer, key, body in ledger.unanswered:
        headers = {**buyer.auth, "Idempotency-Key": key}
        response = send_until_answered(
            client,
            partial(client.post, "/v1/orders", json=body, headers=headers),
            time.monotonic() + 30,
        )
        if response is not None and response.status_code == 200:
            replayed += 1  # 200: the first placement had made it
        if response is not None and response.status_code in (200, 202):
            ledger.accepted(buyer, key, response.json()["id"])
    return replayed


def settle(
    client: httpx.Client,
    ledger: Ledger,
    products: dict[str, int],
    seconds: float,
) -> tuple[dict[str, dict], dict[str, int]]:
    """The orders and stocks once every order is final and stock stopped moving, or as they
    are when ``seconds`` ran out."""
    end = time.monotonic() + seconds
    while True:
        orders = read_orders(client, ledger)
        stocks = {pid: read_stock(client, pid) for pid in products}
        settled = (
            all(o["status"] in FINAL for o in orders.values())
            and stocks == expected_stocks(orders, products)
            and not still_charged(orders)
        )
        if settled or time.monotonic() > end:
            return orders, stocks
        time.sleep(1.0)


def read_orders(client: httpx.Client, ledger: Ledger) -> dict[str, dict]:
    """Every order of every buyer, as the service lists them (not only those we know)."""
    orders: dict[str, dict] = {}
    for buyer in ledger.buyers:
        params: dict[str, str | int] = {"limit": 100}
        while True:
            response = send_until_answered(
                client,
                partial(client.get, "/v1/orders", params=dict(params), headers=buyer.auth),
                time.monotonic() + 30,
            )
            if response is None or response.status_code != 200:
                raise RuntimeError(f"cannot list the orders of {buyer.email}")
            page = response.json()
            orders.update({order["id"]: order for order in page["items"]})
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
    return orders


def read_stock(client: httpx.Client, product_id: str) -> int:
    response = send_until_answered(
        client, lambda: client.get(f"/v1/products/{product_id}"), time.monotonic() + 30
    )
    if response is None or response.status_code != 200:
        raise RuntimeError(f"cannot read product {product_id}")
    return int(response.json()["stock"])


def still_charged(orders: dict[str, dict]) -> dict[str, dict]:
    """Rejected or cancelled orders that still hold an authorization or a charge (v1.1)."""
    return {
        order_id: order
        for order_id, order in orders.items()
        if order["status"] in ("REJECTED", "CANCELLED")
        and (order.get("payment") or {}).get("status") in ("AUTHORIZED", "CAPTURED")
    }


def expected_stocks(orders: dict[str, dict], products: dict[str, int]) -> dict[str, int]:
    stocks = dict(products)
    for order in orders.values():
        if order["status"] in HOLDING:
            for item in order["items"]:
                stocks[item["product_id"]] -= item["quantity"]
    return stocks


def audit(
    ledger: Ledger,
    replayed: int,
    kills: Counter[str],
    orders: dict[str, dict],
    products: dict[str, int],
    stocks: dict[str, int],
) -> Report:
    stuck = [
        f"{order_id} {order['status']} since {order['created_at']}"
        for order_id, order in orders.items()
        if order["status"] not in FINAL
    ]
    expected = expected_stocks(orders, products)
    mismatches = [
        f"{pid}: stock {stocks[pid]}, expected {expected[pid]} "
        f"(initial {products[pid]} - units held by confirmed orders)"
        for pid in products
        if stocks[pid] != expected[pid]
    ]
    duplicates = [
        f"{oid}: an order the client never placed" for oid in orders.keys() - ledger.orders.keys()
    ]
    duplicates += [
        f"key {key}: answered with {len(ids)} different orders"
        for key, ids in ledger.answers.items()
        if len(ids) > 1
    ]
    left_charged = [
        f"{order_id} {order['status']} with its payment {order['payment']['status']}"
        for order_id, order in still_charged(orders).items()
    ]
    return Report(
        accepted=len(ledger.orders),
        cancelled=ledger.cancelled,
        refused=dict(ledger.refused),
        unanswered=len(ledger.unanswered),
        replayed=replayed,
        kills=kills,
        statuses=Counter(
            " ".join(filter(None, (order["status"], order.get("reason"))))
            for order in orders.values()
        ),
        stuck=stuck,
        stock_mismatches=mismatches,
        duplicates=duplicates,
        left_charged=left_charged,
    )


def drill(args: argparse.Namespace, workdir: Path) -> Report:
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"chaos drill: rate {args.rate}/s for {args.duration:.0f}s, seed {seed}", flush=True)
    # About a third of what the run may ask for: some products run out, and the drill
    # exercises the rejections too.
    stock = max(10, round(args.rate * args.duration * 2 / PRODUCTS / 3))
    with profile_platform(args.profile, workdir, ENV) as (running, _order_db):
        base_url = running.url("gateway")
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            seller = sign_up_and_in(client, "seller")
            products = create_products(client, seller, stock)
            buyers = [sign_up_and_in(client, f"buyer{i}") for i in range(BUYERS)]
            ledger = Ledger(buyers)
            shoppers = Shoppers(
                base_url,
                buyers,
                list(products),
                ledger,
                rate=args.rate,
                retry_for=args.retry_for,
                seed=seed,
            )
            killer = Killer(running, kill_min=args.kill_min, kill_max=args.kill_max, seed=seed)
            shoppers.start()
            try:
                killer.run_for(args.duration)
            finally:
                shoppers.stop()
            print(f"  settling (at most {args.settle:.0f}s)", flush=True)
            replayed = replay_unanswered(client, ledger)
            orders, stocks = settle(client, ledger, products, args.settle)
            return audit(ledger, replayed, killer.kills, orders, products, stocks)


def seconds(text: str) -> float:
    """``90``, ``90s`` or ``2m`` (as ``make load`` takes its DURATION) in seconds."""
    units = {"s": 1.0, "m": 60.0}
    scale = units.get(text[-1:], 1.0)
    number = text[:-1] if text[-1:] in units else text
    try:
        return float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5.0, help="orders per second")
    parser.add_argument(
        "--duration", type=seconds, default=60.0, help="time under faults: 90, 90s or 2m"
    )
    parser.add_argument("--profile", choices=("embedded", "mariadb"), default="embedded")
    parser.add_argument("--kill-min", type=float, default=3.0)
    parser.add_argument("--kill-max", type=float, default=6.0)
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to settle, at most")
    parser.add_argument("--retry-for", type=float, default=60.0, help="a client's patience")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or not 0 < args.kill_min <= args.kill_max:
        parser.error("rate and duration must be positive, and 0 < kill-min <= kill-max")
    with tempfile.TemporaryDirectory(prefix="commerce-chaos-") as workdir:
        report = drill(args, Path(workdir))
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
