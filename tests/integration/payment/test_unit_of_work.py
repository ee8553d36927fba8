"""The payment unit of work wakes the steps' worker after a commit that left a step owed,
only after it (also inside a consumer batch's shared transaction), and not otherwise."""

from __future__ import annotations

import pytest

from commerce.kernel.batching import batch_of_keys
from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.payment.adapters.outbound.unit_of_work import SqlaPaymentUnitOfWork
from commerce.payment.domain.payment import Payment, PaymentMethod
from tests.integration.statements import inserts_into, recorded_statements
from tests.unit.payment.fakes import START

pytestmark = pytest.mark.integration


def payment(order_id: str) -> Payment:
    return Payment.request(
        payment_id=f"pay-{order_id}",
        order_id=order_id,
        user_id="u",
        amount=1,
        # A card: it owes its authorization to the provider (an invoice owes nothing, ADR 0112).
        method=PaymentMethod.CARD,
        token="tok_visa",
        now=START,
        deadline=START,
    )


async def test_a_commit_that_leaves_a_step_owed_wakes_the_worker(database: Database) -> None:
    woken: list[str] = []
    uow = SqlaPaymentUnitOfWork(database.connections, step_owed=lambda: woken.append("woken"))
    async with uow:
        await uow.payments.add(payment("o-1"))
        assert woken == []
        await uow.commit()
    assert woken == ["woken"]

    async with uow:
        loaded = await uow.payments.for_order("o-1")
        assert loaded is not None
        await uow.commit()  # still owing its authorization: woken again
    assert len(woken) == 2

    async with uow:
        await uow.payments.remember_withdrawal("o-2", START)
        await uow.commit()  # nothing owed
    assert len(woken) == 2


async def test_in_a_batch_the_worker_is_woken_after_the_batch_commits(database: Database) -> None:
    woken: list[str] = []
    async with shared_transaction(database.connections):
        uow = SqlaPaymentUnitOfWork(database.connections, step_owed=lambda: woken.append("w"))
        async with uow:
            await uow.payments.add(payment("o-3"))
            await uow.commit()
        assert woken == []  # the batch has not committed yet
    assert woken == ["w"]


async def test_a_request_reads_the_payment_or_the_withdrawal_in_one_go(database: Database) -> None:
    uow = SqlaPaymentUnitOfWork(database.connections, step_owed=lambda: None)
    async with uow:
        assert await uow.payments.for_order_or_withdrawal("o-5") == (None, False)
        await uow.payments.remember_withdrawal("o-5", START)
        await uow.payments.add(payment("o-6"))
        await uow.commit()
    async with uow:
        assert await uow.payments.for_order_or_withdrawal("o-5") == (None, True)
        found, withdrawn = await uow.payments.for_order_or_withdrawal("o-6")
        assert found is not None and (found.id, found.order_id) == ("pay-o-6", "o-6")
        assert not withdrawn
        await uow.commit()


async def stored(database: Database, order_id: str) -> tuple[int, str, list[str]]:
    """A payment as the table holds it: its version, status and history."""
    uow = SqlaPaymentUnitOfWork(database.connections)
    async with uow:
        found = await uow.payments.for_order(order_id)
        assert found is not None
        return found.version, found.status.value, [e.status.value for e in found.history]


async def test_a_batch_inserts_its_new_payments_together_and_ends_as_one_by_one_would(
    database: Database,
) -> None:
    async def request_then_withdraw(order_id: str) -> None:
        """Three use cases: the payment is asked for, found again, then withdrawn."""
        uow = SqlaPaymentUnitOfWork(database.connections)
        async with uow:
            assert await uow.payments.for_order_or_withdrawal(order_id) == (None, False)
            await uow.payments.add(payment(order_id))
            await uow.commit()
        async with uow:
            found, withdrawn = await uow.payments.for_order_or_withdrawal(order_id)
            assert found is not None and not withdrawn
            again = await uow.payments.get(found.id)
            assert again is not None and again.order_id == order_id
            await uow.commit()
        async with uow:
            found = await uow.payments.for_order(order_id)
            assert found is not None and found.withdraw(START)
            await uow.payments.save(found)
            await uow.commit()

    with recorded_statements(database) as statements:
        async with shared_transaction(database.connections):
            await request_then_withdraw("o-8")
            await request_then_withdraw("o-9")
            assert inserts_into(statements, "payment") == []  # not before the batch commits
    assert inserts_into(statements, "payment") == ["payments", "payment_history"]

    await request_then_withdraw("o-10")  # on its own: each use case commits
    alone = await stored(database, "o-10")
    assert alone[1] == "DECLINED" and len(alone[2]) == 2
    assert await stored(database, "o-8") == alone
    assert await stored(database, "o-9") == alone


async def test_a_batch_asks_once_which_of_its_orders_had_a_payment_or_a_withdrawal(
    database: Database,
) -> None:
    new, paid, withdrawn, withdrawn_in_batch = "o-20", "o-21", "o-22", "o-23"
    uow = SqlaPaymentUnitOfWork(database.connections)
    async with uow:
        await uow.payments.add(payment(paid))
        await uow.payments.remember_withdrawal(withdrawn, START)
        await uow.commit()

    async def request(order_id: str) -> tuple[str | None, bool]:
        async with uow:
            found, was_withdrawn = await uow.payments.for_order_or_withdrawal(order_id)
            await uow.commit()
        return (None if found is None else found.order_id), was_withdrawn

    with (
        recorded_statements(database) as statements,
        batch_of_keys([new, paid, withdrawn, withdrawn_in_batch]),
    ):
        async with shared_transaction(database.connections):
            assert await request(new) == (None, False)  # asks for the whole batch
            async with uow:
                # After the batch's one read: what it found no longer tells about this one.
                await uow.payments.remember_withdrawal(withdrawn_in_batch, START)
                await uow.commit()
            answers = [await request(o) for o in (paid, withdrawn, withdrawn_in_batch)]

    assert answers == [(paid, False), (None, True), (None, True)]
    ahead = [s for s in statements if " UNION " in s]
    one_order = [s for s in statements if "EXISTS" in s and " UNION " not in s]
    assert len(ahead) == 1
    assert len(one_order) == 3  # the three it found or recorded since; none for the new one
