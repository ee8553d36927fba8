"""A migrated payment database on both backends (a SQLite file and a fresh MariaDB database)
and the payment use cases over it, with the simulated provider and its ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from commerce.kernel.db import Database
from commerce.payment.adapters.outbound.ledger import SqlaChargeLedger
from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.bootstrap import SERVICE_PACKAGE, build_use_cases
from commerce.payment.settings import Settings
from tests.integration.conftest import migrated_database
from tests.unit.payment.fakes import FakeClock


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(database: Database) -> SqlaChargeLedger:
    return SqlaChargeLedger(database.connections)


@pytest.fixture
def use_cases(database: Database, ledger: SqlaChargeLedger, clock: FakeClock) -> PaymentUseCases:
    settings = Settings(provider_call_timeout_seconds=0.2, authorize_deadline_seconds=5)
    return build_use_cases(database, settings, SimulatedProvider(ledger), clock)
