"""The operations use cases of one service: look at its messaging, act on its dead letters.

A replay runs the parked message through the consumer group's own handler, the path the
consumer takes (inbox dedupe, effect and outbox in the handler's transaction), so an event
already applied is a harmless no-op. The dead letter then becomes REPLAYED, with its audit
row, in a second transaction: a crash between the two leaves it OPEN, and replaying it again
is that same no-op (docs/adr/0048).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from commerce.contracts.envelope import EventEnvelope
from commerce.kernel.admin.records import (
    Actor,
    AuditEntry,
    DeadLetter,
    OutboxBacklog,
    ReplayCounts,
)
from commerce.kernel.admin.store import SqlOperationsStore
from commerce.kernel.domain import Conflict, NotFound, utc_now
from commerce.kernel.messaging.dead_letter_records import DeadLetterStatus
from commerce.kernel.messaging.lag import LagReport
from commerce.kernel.messaging.processing import EventHandler
from commerce.kernel.outages import is_dependency_outage
from commerce.kernel.ports import Clock

log = logging.getLogger("commerce.admin")
T = TypeVar("T")

# A replay-all takes at most this many in one request; the console may ask again.
REPLAY_ALL_MAX = 500


class ReplayFailed(Conflict):
    """The handler refused the message again; it stays OPEN (the error type is in the text)."""

    code = "replay_failed"


class UnknownConsumerGroup(Exception):
    """No handler of this process serves the dead letter's consumer group."""


@dataclass(frozen=True)
class MessagingOverview:
    service: str
    outbox: OutboxBacklog | None
    lag: LagReport
    open_dead_letters: int


@dataclass(frozen=True)
class ListPage(Generic[T]):
    items: list[T]
    next_id: int | None


class OperationsConsole:
    """The admin use cases of one service."""

    def __init__(
        self,
        service: str,
        store: SqlOperationsStore,
        handlers: Mapping[str, EventHandler],
        lag: Callable[[], Awaitable[LagReport]],
        clock: Clock = utc_now,
    ) -> None:
        self.service = service
        self._store = store
        self._handlers = handlers
        self._lag = lag
        self._clock = clock

    async def overview(self) -> MessagingOverview:
        """The outbox backlog, the consumers' lag and how many dead letters wait."""
        return MessagingOverview(
            service=self.service,
            outbox=await self._store.outbox_backlog(),
            lag=await self._lag(),
            open_dead_letters=await self._store.open_count(),
        )

    async def dead_letters(
        self, status: DeadLetterStatus | None, limit: int, before_id: int | None
    ) -> ListPage[DeadLetter]:
        rows = await self._store.page(status, limit + 1, before_id)
        more = len(rows) > limit
        return ListPage(rows[:limit], rows[limit - 1].id if more else None)

    async def dead_letter(self, letter_id: int) -> DeadLetter:
        letter = await self._store.get(letter_id)
        if letter is None:
            raise NotFound("No such dead letter.", code="dead_letter_not_found")
        return letter

    async def audit(self, limit: int, before_id: int | None) -> ListPage[AuditEntry]:
        rows = await self._store.audit_page(limit + 1, before_id)
        more = len(rows) > limit
        return ListPage(rows[:limit], rows[limit - 1].id if more else None)

    async def replay(self, letter_id: int, actor: Actor) -> DeadLetter:
        """Run the dead letter through its handler again: REPLAYED, or OPEN and ReplayFailed."""
        letter = _open(await self.dead_letter(letter_id))
        try:
            await self._run(letter)
        except Exception as error:
            if is_dependency_outage(error):
                raise  # the database is down: a 503, and nothing to record it in anyway
            await self._store.replay_failed(letter_id, actor, self._clock(), error)
            log.warning("replay of dead letter %d failed: %s", letter_id, type(error).__name__)
            raise ReplayFailed(
                f"The handler failed again ({type(error).__name__}); the dead letter stays OPEN."
            ) from error
        replayed = await self._store.resolve(
            letter_id, DeadLetterStatus.REPLAYED, actor, self._clock(), action="replay"
        )
        if replayed is None:
            raise _not_open()
        return replayed

    async def replay_all(self, actor: Actor) -> ReplayCounts:
        """Replay every OPEN dead letter, oldest first (at most REPLAY_ALL_MAX)."""
        replayed = failed = 0
        for letter_id in await self._store.open_ids(REPLAY_ALL_MAX):
            try:
                await self.replay(letter_id, actor)
                replayed += 1
            except (ReplayFailed, NotFound):
                failed += 1
            except Conflict:
                continue  # resolved meanwhile by someone else: neither ours nor a failure
        await self._store.append_audit(
            actor,
            "replay-all",
            "dead-letters",
            f"replayed {replayed}, failed {failed}",
            self._clock(),
        )
        return ReplayCounts(replayed=replayed, failed=failed)

    async def discard(self, letter_id: int, actor: Actor, reason: str) -> DeadLetter:
        """Give up on an OPEN dead letter, saying why."""
        _open(await self.dead_letter(letter_id))
        discarded = await self._store.resolve(
            letter_id,
            DeadLetterStatus.DISCARDED,
            actor,
            self._clock(),
            action="discard",
            reason=reason,
        )
        if discarded is None:
            raise _not_open()
        return discarded

    async def _run(self, letter: DeadLetter) -> None:
        handler = self._handlers.get(letter.consumer_group)
        if handler is None:
            raise UnknownConsumerGroup(f"no handler for consumer group {letter.consumer_group}")
        await handler(EventEnvelope.from_json(letter.value.encode()))


def _not_open() -> Conflict:
    return Conflict("The dead letter is not OPEN.", code="dead_letter_not_open")


def _open(letter: DeadLetter) -> DeadLetter:
    if letter.status is not DeadLetterStatus.OPEN:
        raise _not_open()
    return letter
