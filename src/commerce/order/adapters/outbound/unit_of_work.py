"""The order service's unit of work: orders and the units they hold, their events out through
the outbox, the inbox."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from commerce.order.adapters.outbound.change_feed import PollingOrderChangeFeed
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
        feed: PollingOrderChangeFeed | None = None,
    ) -> None:
        # Hands this process's live streams the bodies of their orders as committed.
        self._feed = feed
        super().__init__(
            connections,
            outbox=outbox,
            inbox=inbox,
            consumer=CONSUMER,
            outbox_written=outbox_written,
        )

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.orders = SqlaOrderRepository(session, self.shared)
        self.held_units = SqlaHeldUnits(session, self.shared)

    async def commit(self) -> None:
        await super().commit()
        if self._feed is None:
            return
        # Built now: a later unit of work of the same batch may change the same order again.
        written = self._feed.written(self.orders.written.values())
        if not written:
            return
        committed = partial(self._feed.committed, written)
        if self.shared is not None:
            self.shared.after_commit(committed)  # once the consumer's batch has committed
        else:
            committed()

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        # All events of one order share its key, hence its partition and their order.
        assert isinstance(aggregate, Order)
        return OutboxMessage(ORDER_EVENTS, aggregate.id, envelope_of(event))
