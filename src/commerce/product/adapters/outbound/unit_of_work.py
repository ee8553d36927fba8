"""The product service's unit of work: repositories, inbox, and the outbox on commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import CATALOG_EVENTS
from commerce.kernel.db import SqlaUnitOfWork
from commerce.kernel.messaging.inbox import first_delivery
from commerce.kernel.messaging.outbox import add_to_outbox
from commerce.product.adapters.outbound.events import integration_event
from commerce.product.adapters.outbound.repositories import (
    SqlaProductRepository,
    SqlaReservationRepository,
)
from commerce.product.adapters.outbound.tables import inbox, outbox

SOURCE = "product"
CONSUMER = "product"


class SqlaProductUnitOfWork(SqlaUnitOfWork):
    products: SqlaProductRepository
    reservations: SqlaReservationRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        consumer: str = CONSUMER,
        outbox_written: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session_factory)
        self._consumer = consumer
        self._outbox_written = outbox_written

    def _build_repositories(self, session: AsyncSession) -> None:
        self.products = SqlaProductRepository(session)
        self.reservations = SqlaReservationRepository(session)

    async def first_delivery(self, event_id: str) -> bool:
        return await first_delivery(self.session, inbox, consumer=self._consumer, event_id=event_id)

    async def commit(self) -> None:
        # The events leave with the change that caused them, or not at all.
        written = False
        for aggregate in (*self.products.seen, *self.reservations.seen):
            for event in aggregate.pull_events():
                payload = integration_event(event)
                await add_to_outbox(
                    self.session,
                    outbox,
                    topic=CATALOG_EVENTS,
                    key=payload.partition_key,
                    envelope=EventEnvelope.wrap(payload, SOURCE, occurred_at=event.occurred_at),
                )
                written = True
        await super().commit()
        if written and self._outbox_written is not None:
            self._outbox_written()  # wake the relay now rather than at its next poll
