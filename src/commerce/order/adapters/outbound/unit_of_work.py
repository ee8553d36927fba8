"""The order service's unit of work: orders and the units they hold, their events out through
the outbox, the inbox."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from commerce.order.adapters.outbound.events import envelope_of
from commerce.order.adapters.outbound.held_units import SqlaHeldUnits
from commerce.order.adapters.outbound.repository import SqlaOrderRepository
from commerce.order.adapters.outbound.tables import inbox, outbox
from commerce.order.domain.order import Order

CONSUMER = "order"


class SqlaOrderUnitOfWork(MessagingUnitOfWork):
    orders: SqlaOrderRepository
    held_units: SqlaHeldUnits

    def __init__(
        self,
        connections: Connections,
        *,
        outbox_written: Callable[[], None] | None = None,
        orders_committed: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        # Wakes this process's live streams of the orders a commit may have changed.
        self._orders_committed = orders_committed
        super().__init__(
            connections,
            outbox=outbox,
            inbox=inbox,
            consumer=CONSUMER,
            outbox_written=outbox_written,
        )

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.orders = SqlaOrderRepository(session)
        self.held_units = SqlaHeldUnits(session, self.shared)

    async def commit(self) -> None:
        order_ids = tuple(order.id for order in self.orders.seen)
        await super().commit()
        if self._orders_committed is None or not order_ids:
            return
        committed = partial(self._orders_committed, order_ids)
        if self.shared is not None:
            self.shared.after_commit(committed)  # once the consumer's batch has committed
        else:
            committed()

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        # All events of one order share its key, hence its partition and their order.
        assert isinstance(aggregate, Order)
        return OutboxMessage(ORDER_EVENTS, aggregate.id, envelope_of(event))
