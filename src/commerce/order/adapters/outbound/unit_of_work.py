"""The order service's unit of work: orders, and their events into the outbox on commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db import SqlaUnitOfWork
from commerce.kernel.messaging.inbox import first_delivery
from commerce.kernel.messaging.outbox import add_to_outbox
from commerce.order.adapters.outbound.events import envelope_of
from commerce.order.adapters.outbound.repository import SqlaOrderRepository
from commerce.order.adapters.outbound.tables import inbox, outbox

CONSUMER = "order"


class SqlaOrderUnitOfWork(SqlaUnitOfWork):
    orders: SqlaOrderRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        outbox_written: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session_factory)
        # Wakes the relay after a commit that queued events, instead of at its next poll.
        self._outbox_written = outbox_written

    def _build_repositories(self, session: AsyncSession) -> None:
        self.orders = SqlaOrderRepository(session)

    async def first_delivery(self, event_id: str) -> bool:
        return await first_delivery(self.session, inbox, consumer=CONSUMER, event_id=event_id)

    async def commit(self) -> None:
        # The events ride in the same transaction as the change that raised them.
        queued = 0
        for order in self.orders.seen:
            for event in order.pull_events():
                await add_to_outbox(
                    self.session,
                    outbox,
                    topic=ORDER_EVENTS,
                    key=order.id,
                    envelope=envelope_of(event),
                )
                queued += 1
        await super().commit()
        if queued and self._outbox_written is not None:
            self._outbox_written()
