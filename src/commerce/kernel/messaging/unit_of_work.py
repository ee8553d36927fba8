"""A unit of work that carries messaging: aggregates' events out through the outbox on commit,
incoming events deduplicated through the inbox, both in the use case's own transaction.

A service subclasses it, builds its repositories (each a ``TrackingRepository``, so the
aggregates it touched are found without help) and says how one domain event becomes one
integration message (``_outbox_message``). Everything else (the loop, the transaction,
waking the relay) is here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import Table, insert

from commerce.contracts.envelope import EventEnvelope
from commerce.kernel.db.connections import Connections
from commerce.kernel.db.unit_of_work import SqlaUnitOfWork
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.inbox import first_delivery, inbox_row
from commerce.kernel.messaging.outbox import outbox_row
from commerce.kernel.repository import tracked_aggregates


class OutboxMessage(NamedTuple):
    topic: str
    key: str
    envelope: EventEnvelope


class MessagingUnitOfWork(SqlaUnitOfWork):
    """One transaction around a use case, whose events leave with its changes or not at all."""

    def __init__(
        self,
        connections: Connections,
        *,
        outbox: Table,
        inbox: Table | None = None,
        consumer: str = "",
        outbox_written: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(connections)
        self._outbox = outbox
        self._inbox = inbox
        self._consumer = consumer
        # Wakes the relay after a commit that queued events, instead of at its next poll.
        self._outbox_written = outbox_written

    def _aggregates(self) -> Iterable[AggregateRoot]:
        """The aggregates loaded or added in this unit of work: by default those its
        :class:`~commerce.kernel.repository.TrackingRepository` attributes saw (hook)."""
        return tracked_aggregates(self)

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        """The integration message that publishes ``event`` (hook)."""
        raise NotImplementedError

    async def first_delivery(self, event_id: str) -> bool:
        """Record an incoming event id in this transaction; ``False`` if it was seen before."""
        if self._inbox is None:
            raise RuntimeError(f"{type(self).__name__} consumes no events (no inbox table)")
        if self.shared is not None:
            # Gathered for the batch's one INSERT; a redelivery (after a crash) makes that
            # insert fail, the batch is undone, and one by one this message is skipped.
            row = inbox_row(consumer=self._consumer, event_id=event_id)
            self.shared.rows_for(self._inbox).add(row)
            return True
        return await first_delivery(
            self.session, self._inbox, consumer=self._consumer, event_id=event_id
        )

    async def commit(self) -> None:
        queued = 0
        for aggregate in list(self._aggregates()):
            for event in aggregate.pull_events():
                message = self._outbox_message(aggregate, event)
                row = outbox_row(topic=message.topic, key=message.key, envelope=message.envelope)
                if self.shared is not None:
                    # Gathered for the batch's one INSERT, like its inbox rows; in the order
                    # raised, so each key's events keep ascending ids (the relay's key order).
                    self.shared.rows_for(self._outbox).add(row)
                else:
                    await self.session.execute(insert(self._outbox), row)
                queued += 1
        await super().commit()
        if queued and self._outbox_written is not None:
            if self.shared is not None:
                self.shared.after_commit(self._outbox_written)
            else:
                self._outbox_written()
