"""The simulated provider's ledger in its table (SQLite and MariaDB): the same key twice
charges once, even when the calls race, and what it knows outlives the process."""

from __future__ import annotations

import asyncio

import pytest

from commerce.kernel.db import Database
from commerce.payment.adapters.outbound.ledger import SqlaChargeLedger
from commerce.payment.adapters.outbound.simulated_provider import Outcome, SimulatedProvider
from commerce.payment.application.ports import Charge, ProviderUnavailable
from commerce.payment.bootstrap import SERVICE_PACKAGE
from commerce.payment.domain.payment import PaymentMethod

pytestmark = pytest.mark.integration


def card(token: str, amount: int = 10_000) -> Charge:
    return Charge("o-1", "u-1", amount, PaymentMethod.CARD, token)


async def test_the_same_key_twice_charges_once(ledger: SqlaChargeLedger) -> None:
    provider = SimulatedProvider(ledger)
    first = await provider.authorize(card("tok_visa"), idempotency_key="o-1:authorize")
    second = await provider.authorize(card("tok_visa", 99), idempotency_key="o-1:authorize")
    assert first == second and first.approved
    (entry,) = await ledger.entries()
    assert (entry.operation, entry.amount, entry.outcome, entry.attempts) == (
        "authorize",
        10_000,
        Outcome.APPROVED,
        1,
    )


async def test_racing_calls_of_one_key_charge_once(ledger: SqlaChargeLedger) -> None:
    provider = SimulatedProvider(ledger)
    answers = await asyncio.gather(
        *(provider.authorize(card("tok_visa"), idempotency_key="o-1:authorize") for _ in range(8))
    )
    assert {answer.reference for answer in answers} == {"o-1:authorize"}
    (entry,) = await ledger.entries()
    assert entry.outcome is Outcome.APPROVED and entry.attempts == 1


async def test_racing_flaky_calls_decide_each_attempt_once(ledger: SqlaChargeLedger) -> None:
    provider = SimulatedProvider(ledger)

    async def call() -> bool:
        try:
            return (await provider.authorize(card("tok_flaky"), idempotency_key="k")).approved
        except ProviderUnavailable:
            return False

    results = await asyncio.gather(*(call() for _ in range(6)))
    assert results.count(False) == 2  # exactly two calls met the two failures
    (entry,) = await ledger.entries()
    assert entry.outcome is Outcome.APPROVED and entry.attempts == 3


async def test_the_ledger_outlives_a_restart(database_url: str, database: Database) -> None:
    before = SimulatedProvider(SqlaChargeLedger(database.connections))
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await before.authorize(card("tok_flaky"), idempotency_key="o-1:authorize")
    await database.close()
    reopened = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        ledger = SqlaChargeLedger(reopened.connections)
        after = SimulatedProvider(ledger)
        # the third call is the flaky token's third: it authorizes
        assert (await after.authorize(card("tok_flaky"), idempotency_key="o-1:authorize")).approved
        assert [e.attempts for e in await ledger.entries()] == [3]
    finally:
        await reopened.close()
