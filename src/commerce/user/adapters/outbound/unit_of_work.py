"""The user service's unit of work: the users repository, and the outbox on commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import USER_EVENTS
from commerce.kernel.db import SqlaUnitOfWork
from commerce.kernel.messaging.outbox import add_to_outbox
from commerce.user.adapters.outbound.events import integration_event
from commerce.user.adapters.outbound.repository import SqlaUserRepository
from commerce.user.adapters.outbound.tables import outbox

SOURCE = "user"


class SqlaUserUnitOfWork(SqlaUnitOfWork):
    users: SqlaUserRepository

    def _build_repositories(self, session: AsyncSession) -> None:
        self.users = SqlaUserRepository(session)

    async def commit(self) -> None:
        # The events leave with the change that caused them, or not at all.
        for user in self.users.seen:
            for event in user.pull_events():
                payload = integration_event(event)
                await add_to_outbox(
                    self.session,
                    outbox,
                    topic=USER_EVENTS,
                    key=payload.partition_key,
                    envelope=EventEnvelope.wrap(payload, SOURCE, occurred_at=event.occurred_at),
                )
        await super().commit()
