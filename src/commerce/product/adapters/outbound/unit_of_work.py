"""The product service's unit of work: repositories, the inbox, and the outbox on commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import CATALOG_EVENTS
from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from commerce.product.adapters.outbound.events import integration_event
from commerce.product.adapters.outbound.repositories import (
    SqlaProductRepository,
    SqlaReservationRepository,
)
from commerce.product.adapters.outbound.tables import inbox, outbox

SOURCE = "product"
CONSUMER = "product"


class SqlaProductUnitOfWork(MessagingUnitOfWork):
    products: SqlaProductRepository
    reservations: SqlaReservationRepository

    def __init__(
        self,
        connections: Connections,
        *,
        outbox_written: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(
            connections,
            outbox=outbox,
            inbox=inbox,
            consumer=CONSUMER,
            outbox_written=outbox_written,
        )

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.products = SqlaProductRepository(session, self.shared)
        self.reservations = SqlaReservationRepository(session, self.shared)

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        payload = integration_event(event)
        envelope = EventEnvelope.wrap(payload, SOURCE, occurred_at=event.occurred_at)
        return OutboxMessage(CATALOG_EVENTS, payload.partition_key, envelope)
