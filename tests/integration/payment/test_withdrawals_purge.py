"""Remembered withdrawals are forgotten once they are older than the inbox's retention, and
only those (docs/adr/0111)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commerce.kernel.db import Database
from commerce.payment.adapters.outbound.unit_of_work import SqlaPaymentUnitOfWork
from commerce.payment.bootstrap import _forget_old_withdrawals
from commerce.payment.settings import Settings
from tests.unit.payment.fakes import START, FakeClock

pytestmark = pytest.mark.integration

RETENTION = timedelta(days=14)


async def remembered(database: Database, order_id: str) -> bool:
    uow = SqlaPaymentUnitOfWork(database.connections, step_owed=lambda: None)
    async with uow:
        withdrawn = await uow.payments.was_withdrawn(order_id)
        await uow.commit()
    return withdrawn


async def test_only_withdrawals_older_than_the_retention_are_forgotten(database: Database) -> None:
    uow = SqlaPaymentUnitOfWork(database.connections, step_owed=lambda: None)
    async with uow:
        await uow.payments.remember_withdrawal("o-old", START - RETENTION - timedelta(seconds=1))
        await uow.payments.remember_withdrawal("o-recent", START - RETENTION + timedelta(seconds=1))
        await uow.commit()
    settings = Settings(inbox_retention_seconds=RETENTION.total_seconds())

    assert await _forget_old_withdrawals(database, settings, FakeClock(START)) == 1

    assert not await remembered(database, "o-old")
    assert await remembered(database, "o-recent")
    # A later pass forgets the other once it is old enough, and nothing twice.
    later = FakeClock(START + timedelta(seconds=2))
    assert await _forget_old_withdrawals(database, settings, later) == 1
    assert await _forget_old_withdrawals(database, settings, later) == 0
    assert not await remembered(database, "o-recent")
