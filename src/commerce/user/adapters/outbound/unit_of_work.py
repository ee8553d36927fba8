"""The user service's unit of work: the users repository, and UserRegistered via the outbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import USER_EVENTS
from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from commerce.user.adapters.outbound.events import integration_event
from commerce.user.adapters.outbound.repository import SqlaUserRepository
from commerce.user.adapters.outbound.tables import outbox

SOURCE = "user"


class SqlaUserUnitOfWork(MessagingUnitOfWork):
    users: SqlaUserRepository

    def __init__(
        self,
        connections: Connections,
        *,
        outbox_written: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(connections, outbox=outbox, outbox_written=outbox_written)

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.users = SqlaUserRepository(session)

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        payload = integration_event(event)
        envelope = EventEnvelope.wrap(payload, SOURCE, occurred_at=event.occurred_at)
        return OutboxMessage(USER_EVENTS, payload.partition_key, envelope)
