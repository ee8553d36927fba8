"""The payment use cases over the real tables (SQLite and MariaDB): aggregates and their
history round-trip, events leave through the outbox, claims and saves are version-checked,
and the withdrawals that came first are remembered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import PAYMENT_EVENTS
from commerce.kernel.db import Database
from commerce.payment.adapters.outbound.ledger import SqlaChargeLedger
from commerce.payment.adapters.outbound.queries import SqlaPaymentQueries
from commerce.payment.adapters.outbound.tables import outbox, payment_history
from commerce.payment.adapters.outbound.unit_of_work import SqlaPaymentUnitOfWork
from commerce.payment.application.commands import CapturePayment, RequestPayment, WithdrawPayment
from commerce.payment.application.ports import StalePayment
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.domain.payment import DeclineReason, PaymentMethod, PaymentStatus
from tests.unit.payment.fakes import START, FakeClock

SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.integration


def request(order_id: str, token: str | None = "tok_visa", event_id: str = "") -> RequestPayment:
    method = PaymentMethod.CARD if token else PaymentMethod.INVOICE
    return RequestPayment(event_id or f"req-{order_id}", order_id, "user-1", 4_500, method, token)


async def run_due(use_cases: PaymentUseCases) -> list[PaymentStatus | None]:
    return [await use_cases.steps.run(i) for i in await use_cases.steps.due(50)]


async def published(database: Database) -> list[tuple[str, str]]:
    async with database.connections() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.topic, outbox.c.message_key, outbox.c.payload).order_by(outbox.c.id)
            )
        ).all()
        assert {topic for topic, _, _ in rows} <= {PAYMENT_EVENTS}
        return [(key, EventEnvelope.from_json(payload).type) for _, key, payload in rows]


async def test_a_payment_and_its_history_round_trip(
    use_cases: PaymentUseCases, database: Database, ledger: SqlaChargeLedger, clock: FakeClock
) -> None:
    await use_cases.request(request("o-1"))
    clock.advance(1)
    assert await run_due(use_cases) == [PaymentStatus.AUTHORIZED]
    clock.advance(1)
    await use_cases.capture(CapturePayment("ship-o-1", "o-1"))
    assert await run_due(use_cases) == [PaymentStatus.CAPTURED]

    view = await SqlaPaymentQueries(database.engine).for_order("o-1")
    assert view is not None and view.status == "CAPTURED" and view.amount == 4_500
    assert [(h.status, h.amount) for h in view.history] == [
        ("PENDING", 4_500),
        ("AUTHORIZED", 4_500),
        ("CAPTURED", 4_500),
    ]
    assert [h.at for h in view.history] == [START, START + SECOND, START + 2 * SECOND]
    assert await published(database) == [("o-1", "PaymentAuthorized"), ("o-1", "PaymentCaptured")]
    assert [e.operation for e in await ledger.entries()] == ["authorize", "capture"]


async def test_a_redelivered_or_repeated_request_authorizes_once(
    use_cases: PaymentUseCases, database: Database, ledger: SqlaChargeLedger
) -> None:
    await use_cases.request(request("o-2"))
    await use_cases.request(request("o-2"))  # redelivered: the inbox
    await run_due(use_cases)
    await use_cases.request(request("o-2", event_id="redrive-1"))  # a new event id
    assert await run_due(use_cases) == []
    assert await published(database) == [("o-2", "PaymentAuthorized")] * 2
    assert len([e for e in await ledger.entries() if e.operation == "authorize"]) == 1


async def test_declined_and_invoice(use_cases: PaymentUseCases, database: Database) -> None:
    await use_cases.request(request("o-3", "tok_declined"))
    await use_cases.request(request("o-4", None))
    await run_due(use_cases)
    view = await SqlaPaymentQueries(database.engine).for_order("o-3")
    assert view is not None and view.status == "DECLINED"
    assert view.reason == DeclineReason.PAYMENT_DECLINED.value
    invoice = await SqlaPaymentQueries(database.engine).for_order("o-4")
    assert invoice is not None and invoice.status == "AUTHORIZED" and invoice.method == "invoice"


async def test_unavailable_is_declined_at_the_deadline(
    use_cases: PaymentUseCases, database: Database, clock: FakeClock
) -> None:
    await use_cases.request(request("o-5", "tok_unavailable"))
    assert await run_due(use_cases) == [PaymentStatus.PENDING]  # the 0.2 s call time-out
    clock.advance(5)
    assert await run_due(use_cases) == [PaymentStatus.DECLINED]
    assert await published(database) == [("o-5", "PaymentDeclined")]
    view = await SqlaPaymentQueries(database.engine).for_order("o-5")
    assert view is not None and view.reason == "PAYMENT_UNAVAILABLE"


async def test_a_cancellation_before_the_request_is_remembered(
    use_cases: PaymentUseCases, database: Database, ledger: SqlaChargeLedger
) -> None:
    await use_cases.withdraw(WithdrawPayment("cancel-o-6", "o-6"))
    await use_cases.withdraw(WithdrawPayment("cancel-again-o-6", "o-6"))
    await use_cases.request(request("o-6"))
    assert await run_due(use_cases) == []
    assert await published(database) == [("o-6", "PaymentDeclined")]
    assert await ledger.entries() == []


async def test_saves_are_version_checked(use_cases: PaymentUseCases, database: Database) -> None:
    await use_cases.request(request("o-7"))
    async with SqlaPaymentUnitOfWork(database.connections) as first:
        async with SqlaPaymentUnitOfWork(database.connections) as second:
            mine = await first.payments.for_order("o-7")
            theirs = await second.payments.for_order("o-7")
            assert mine is not None and theirs is not None
            theirs.withdraw(theirs.updated_at)
            await second.payments.save(theirs)
            await second.commit()
        mine.withdraw(mine.updated_at)
        with pytest.raises(StalePayment):
            await first.payments.save(mine)
    async with database.connections() as connection:
        count = await connection.scalar(select(func.count()).select_from(payment_history))
    assert count == 2  # PENDING, then DECLINED once


async def test_concurrent_workers_call_the_provider_once(
    use_cases: PaymentUseCases, ledger: SqlaChargeLedger
) -> None:
    await use_cases.request(request("o-8", "tok_flaky"))
    (payment_id,) = await use_cases.steps.due(10)
    outcomes = await asyncio.gather(*(use_cases.steps.run(payment_id) for _ in range(4)))
    assert outcomes.count(None) >= 3  # one claim won; the others found it taken
    (entry,) = await ledger.entries()
    assert entry.attempts == 1
