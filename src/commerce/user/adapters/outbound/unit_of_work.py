"""The user service's unit of work: the users repository, and the outbox on commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
        self.users = SqlaUserRepository(session)

    async def commit(self) -> None:
        # The events leave with the change that caused them, or not at all.
        queued = 0
        for user in self.users.seen:
            for event in user.pull_events():
                queued += 1
                payload = integration_event(event)
                await add_to_outbox(
                    self.session,
                    outbox,
                    topic=USER_EVENTS,
                    key=payload.partition_key,
                    envelope=EventEnvelope.wrap(payload, SOURCE, occurred_at=event.occurred_at),
                )
        await super().commit()
        if queued and self._outbox_written is not None:
            self._outbox_written()
