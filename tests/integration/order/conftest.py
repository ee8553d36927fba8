"""A migrated order database on both backends (a SQLite file and a fresh MariaDB database),
the use cases over it, and the HTTP API in front of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.kernel.db import Database
from commerce.kernel.http.app import create_service_app
from commerce.order.adapters.inbound.http import router
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.bootstrap import SERVICE_PACKAGE, build_use_cases
from commerce.order.settings import Settings
from tests.identity import VERIFIER
from tests.integration.conftest import migrated_database
from tests.unit.order.fakes import FakeClock


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def use_cases(database: Database, clock: FakeClock) -> OrderUseCases:
    # One user places orders up to the contract's limits here (50 x 1000 units): the cap on
    # held units is out of the way, and test_held_units.py tests it with the default.
    settings = Settings(
        redrive_after_seconds=10, redrive_interval_seconds=5, max_held_units_per_user=10**6
    )
    return build_use_cases(database, settings, clock)


@pytest.fixture
async def client(use_cases: OrderUseCases) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        proofs=VERIFIER, title="order under test", routers=[router], readiness={}
    )
    app.state.order_use_cases = use_cases
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
        yield client
