"""Sessions whose access tokens the gateway refuses (docs/adr/0023).

Auth revokes a sign-in (its refresh-token family) at sign-out or when a refresh token comes
back a second time, and says so on its answer (``kernel.revocation``). Each access token names
its session (``sid``), so one entry here refuses all of that sign-in's access tokens until the
last of them has expired; then the entry is forgotten. A request pays one set lookup.

On the embedded default the list lives in the process. With Redis, every replica also writes
the revocations it sees to Redis and follows the others' through a pub/sub channel, loading
the current list whenever it (re)subscribes; a request still never waits for Redis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis

from commerce.gateway.shared_limit import STORE_ERRORS
from commerce.kernel.background import stop_if_cancelled
from commerce.kernel.revocation import SessionRevocation, parse_revocation

log = logging.getLogger("commerce.gateway.revocations")

RESUBSCRIBE_SECONDS = 1.0


class RevokedSessions:
    """Session ids, each refused until its ``until`` (plus the token check's leeway)."""

    def __init__(self, *, leeway_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self._leeway = leeway_seconds
        self._clock = clock
        self._until: dict[str, float] = {}
        # Called with each revocation this replica learnt first (to tell the others).
        self.on_revoked: Callable[[SessionRevocation], None] | None = None

    def __contains__(self, session_id: object) -> bool:
        # Kept past ``until`` until the next sweep: refusing an expired token is harmless.
        return session_id in self._until

    def __len__(self) -> int:
        return len(self._until)

    def revoke(self, revocation: SessionRevocation) -> None:
        """Refuse the session's tokens (a revocation from auth, seen by this replica)."""
        if self.learn(revocation) and self.on_revoked is not None:
            self.on_revoked(revocation)

    def learn(self, revocation: SessionRevocation) -> bool:
        """Add ``revocation`` (from auth or another replica); False if nothing changed."""
        until = revocation.until + self._leeway
        if until <= self._clock() or self._until.get(revocation.session_id, 0.0) >= until:
            return False
        self._until[revocation.session_id] = until
        return True

    def forget_expired(self) -> None:
        """Drop the sessions whose every access token has expired by now."""
        now = self._clock()
        for session_id in [s for s, until in self._until.items() if until <= now]:
            del self._until[session_id]


class SharedRevocations:
    """Keeps replicas' :class:`RevokedSessions` alike through Redis (a key per session,
    expiring with it, and a channel announcing each new one)."""

    def __init__(
        self, sessions: RevokedSessions, redis: Redis, subscriber: Redis, *, prefix: str
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        # Its own connection without a read timeout: a subscription is silent for long.
        self._subscriber = subscriber
        self._key_prefix = prefix + "revoked-session:"
        self._channel = prefix + "revoked-sessions"
        self._writes: set[asyncio.Task[None]] = set()
        sessions.on_revoked = self._announce

    def _announce(self, revocation: SessionRevocation) -> None:
        # Off the request path: the answer to the client does not wait for Redis.
        task = asyncio.get_running_loop().create_task(self.publish(revocation))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def publish(self, revocation: SessionRevocation) -> None:
        value = revocation.header_value()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(self._key_prefix + revocation.session_id, value, exat=revocation.until)
                pipe.publish(self._channel, value)
                await pipe.execute()
        except STORE_ERRORS as error:
            stop_if_cancelled(error)
            # This replica refuses the session anyway; the others until their next load.
            log.warning("could not share a session revocation: %s", type(error).__name__)

    async def follow(self) -> None:
        """Subscribe, load what is there, then apply announcements; for ever (cancel to
        stop). A lost connection is re-made, and the list loaded again."""
        while True:
            try:
                async with self._subscriber.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    await self.load()  # after subscribing: nothing falls in between
                    async for message in pubsub.listen():
                        self._learn(message.get("data"))
            except STORE_ERRORS as error:
                stop_if_cancelled(error)
                log.warning("following session revocations failed: %s", type(error).__name__)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def load(self) -> None:
        async for key in self._redis.scan_iter(match=self._key_prefix + "*", count=500):
            self._learn(await self._redis.get(key))

    def _learn(self, value: object) -> None:
        if isinstance(value, bytes) and (revocation := parse_revocation(value)) is not None:
            self._sessions.learn(revocation)

    async def aclose(self) -> None:
        for task in list(self._writes):
            await asyncio.wait({task}, timeout=1.0)
