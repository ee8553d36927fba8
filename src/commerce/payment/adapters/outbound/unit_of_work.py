"""The payment service's unit of work: payments, their events out through the outbox, the
inbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.topics import PAYMENT_EVENTS
from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from commerce.payment.adapters.outbound.events import envelope_of
from commerce.payment.adapters.outbound.repository import SqlaPaymentRepository
from commerce.payment.adapters.outbound.tables import inbox, outbox
from commerce.payment.domain.payment import Payment

CONSUMER = "payment"


class SqlaPaymentUnitOfWork(MessagingUnitOfWork):
    payments: SqlaPaymentRepository

    def __init__(
        self,
        connections: Connections,
        *,
        outbox_written: Callable[[], None] | None = None,
        step_owed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(
            connections,
            outbox=outbox,
            inbox=inbox,
            consumer=CONSUMER,
            outbox_written=outbox_written,
        )
        # Wakes the provider steps' worker after a commit that left a step owed.
        self._step_owed = step_owed

    async def commit(self) -> None:
        owed = any(payment.next_step is not None for payment in self.payments.seen)
        await super().commit()
        if owed and self._step_owed is not None:
            if self.shared is not None:
                self.shared.after_commit(self._step_owed)
            else:
                self._step_owed()

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.payments = SqlaPaymentRepository(session, self.shared)

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        # Keyed by order, as the order's own events: one partition, in order.
        assert isinstance(aggregate, Payment)
        return OutboxMessage(PAYMENT_EVENTS, aggregate.order_id, envelope_of(event))
