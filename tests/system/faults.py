"""Faults made from outside a running platform, through a service's own database, for tests
of what operators see and do (no fault hook in production code).

``failing_reservations`` makes the product service's reservation of one product fail for
good: a trigger refuses to store its reservation lines with an integrity error, which is no
outage (the consumer would retry that for ever), so the consumer retries a few times and then
parks the ``OrderPlaced`` (docs/adr/0048). Leaving the block drops the trigger, so a replay of
the parked message succeeds and the order goes on.

The order service re-drives an unanswered order after a while (10 s by default) with a new
event id: inside the block that one is parked too, after it the reservation simply succeeds.
Check what must still be stuck inside the block.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import text

from commerce.kernel.db import create_engine, is_sqlite

if TYPE_CHECKING:
    from tests.system.conftest import RunningPlatform

PARK_DEADLINE_SECONDS = 30.0
MESSAGE = "fault injected by a test"


def database_url(running: RunningPlatform, service: str) -> str:
    """The service's database as the platform configured it (a SQLite file by default)."""
    configured = running.platform.config.extra_env.get(f"{service.upper()}_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite+aiosqlite:///{running.platform.config.var_dir / (service + '.db')}"


def _execute(url: str, *statements: str, **params: str) -> list[tuple[object, ...]]:
    async def run() -> list[tuple[object, ...]]:
        engine = create_engine(url)
        try:
            rows: list[tuple[object, ...]] = []
            async with engine.begin() as connection:
                for statement in statements:
                    result = await connection.execute(text(statement), params)
                    if result.returns_rows:
                        rows.extend(tuple(row) for row in result.all())
            return rows
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _trigger(url: str, name: str, product_id: str) -> str:
    if is_sqlite(url):
        return (
            f"CREATE TRIGGER {name} BEFORE INSERT ON reservation_lines "
            f"WHEN NEW.product_id = '{product_id}' "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    # Error 1062 (a duplicate key) is an IntegrityError to the driver: not an outage.
    return (
        f"CREATE TRIGGER {name} BEFORE INSERT ON reservation_lines FOR EACH ROW "
        f"BEGIN IF NEW.product_id = '{product_id}' THEN "
        f"SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = '{MESSAGE}', MYSQL_ERRNO = 1062; "
        "END IF; END"
    )


@contextmanager
def failing_reservations(running: RunningPlatform, product_id: str) -> Iterator[None]:
    """While inside, reserving ``product_id`` fails for good in the product service."""
    uuid.UUID(product_id)  # goes into SQL text: only an id the catalog made
    url = database_url(running, "product")
    name = f"test_fault_{uuid.uuid4().hex[:12]}"
    _execute(url, _trigger(url, name, product_id))
    try:
        yield
    finally:
        _execute(url, f"DROP TRIGGER IF EXISTS {name}")


def wait_parked(running: RunningPlatform, order_id: str) -> None:
    """Until the product service has recorded a dead letter of ``order_id``'s OrderPlaced."""
    url = database_url(running, "product")
    query = "SELECT id FROM dead_letters WHERE event_type = 'OrderPlaced' AND value LIKE :pattern"
    deadline = time.monotonic() + PARK_DEADLINE_SECONDS
    while not _execute(url, query, pattern=f"%{order_id}%"):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"OrderPlaced of {order_id} not parked after {PARK_DEADLINE_SECONDS} s"
            )
        time.sleep(0.2)


def park_order_placed(running: RunningPlatform, product_id: str, place: Callable[[], str]) -> str:
    """Place an order with ``place()`` (returns its id) while reserving ``product_id`` fails;
    returns once its OrderPlaced is parked, with the fault removed: a replay completes it."""
    with failing_reservations(running, product_id):
        order_id = place()
        wait_parked(running, order_id)
    return order_id
