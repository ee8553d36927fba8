"""Every service with ``<SERVICE>_WORKERS=2`` (ADR 0044): two processes on one port each,
consumer group members and relays sharing the outbox, and the saga still exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from commerce.platform import SERVICES
from tests.conftest import RUN_ID
from tests.system.accounts import new_account
from tests.system.conftest import RunningPlatform, mariadb_env, start_platform
from tests.system.processes import children
from tests.system.test_ordering import (
    all_orders,
    new_product,
    place_concurrently,
    stock_of,
    wait_no_pending,
)

pytestmark = [pytest.mark.system, pytest.mark.slow]

WORKERS = 2


@pytest.fixture(scope="module")
def scaled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    env = mariadb_env(request.getfixturevalue("mariadb"), request.getfixturevalue("redis_url"))
    env["AUTH_REDIS_KEY_PREFIX"] = f"test:{RUN_ID}:workers:auth:"
    env["GATEWAY_REDIS_KEY_PREFIX"] = f"test:{RUN_ID}:workers:gateway:"
    for name in (*SERVICES, "gateway"):
        env[f"{name.upper()}_WORKERS"] = str(WORKERS)
    platform = start_platform(tmp_path_factory.mktemp("workers"), "mariadb", env)
    yield RunningPlatform(platform=platform, profile="mariadb")
    platform.stop()


def test_each_service_runs_its_workers_on_its_one_port(scaled: RunningPlatform) -> None:
    for name in (*SERVICES, "gateway"):
        process = scaled.platform.processes[name]
        workers = [
            child
            for child in children(process.pid)
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()
        ]
        assert len(workers) == WORKERS, (name, workers)
        assert httpx.get(scaled.url(name) + "/readyz", timeout=10).status_code == 200


def test_the_saga_confirms_exactly_the_stock_across_workers(scaled: RunningPlatform) -> None:
    with scaled.client() as gateway:
        seller = new_account(gateway, "workers-seller")
        product = new_product(gateway, seller, price=2_000, stock=10)
        buyers = [new_account(gateway, f"workers-buyer{i}") for i in range(4)]
        jobs = [(buyers[i % len(buyers)], [(product["id"], 1)]) for i in range(40)]
        responses = place_concurrently(scaled, jobs)
        assert [r.status_code for r in responses] == [202] * len(jobs)
        wait_no_pending(gateway, buyers)
        statuses = [o["status"] for buyer in buyers for o in all_orders(gateway, buyer)]
        assert statuses.count("CONFIRMED") == 10
        assert statuses.count("REJECTED") == 30
        assert stock_of(gateway, product["id"]) == 0
