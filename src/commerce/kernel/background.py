"""Periodic work inside a service process (re-drives, purges, refreshes), written once.

A pass that fails is logged and tried again at the next interval: a database or peer that is
briefly away must not end the loop, and only ``stop()`` does. The first failure is logged
with its traceback; while the passes go on failing, one line every
:data:`STILL_FAILING_LOG_SECONDS` says so (a poll every 250 ms would otherwise write four
tracebacks a second for as long as the database is down), and the first pass that works
again says how many failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("commerce.background")
STILL_FAILING_LOG_SECONDS = 30.0


def stop_if_cancelled(error: BaseException) -> None:
    """For a loop that logs its errors and goes on: re-raise a cancellation that a client
    library turned into an error of its own (a Redis or HTTP client dropping the connection
    of a call cut short). Otherwise the loop would go on, and whoever cancelled it and waits
    for it (a shutdown) would wait for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error


class PeriodicTask:
    """Runs ``work`` every ``every`` seconds (first right away, or after one interval)."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        every: float,
        *,
        run_at_start: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._work = work
        self._every = every
        self._run_at_start = run_at_start
        self._clock = clock
        self._failures = 0  # passes failed in a row
        self._failure_logged_at = 0.0
        self._task: asyncio.Task[None] | None = None
        # Checked at every turn: ends the loop even when a client library swallowed the
        # cancellation that stop() sent while a pass was waiting on it.
        self._stopping = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_once(self) -> None:
        """One pass now, under the same rule: a failure is logged, not raised."""
        try:
            await self._work()
        except Exception as error:
            stop_if_cancelled(error)
            self._failed(error)
            return
        if self._failures:
            log.info("%s: passes work again after %d failed", self.name, self._failures)
            self._failures = 0

    def _failed(self, error: Exception) -> None:
        self._failures += 1
        now = self._clock()
        if self._failures == 1:
            log.exception("%s: pass failed; trying again in %g s", self.name, self._every)
        elif now - self._failure_logged_at >= STILL_FAILING_LOG_SECONDS:
            log.warning(
                "%s: %d passes failed in a row, still trying every %g s: %s: %s",
                self.name,
                self._failures,
                self._every,
                type(error).__name__,
                error,
            )
        else:
            return
        self._failure_logged_at = now

    async def _loop(self) -> None:
        if not self._run_at_start and await self._stopped_within(self._every):
            return
        while not self._stopping.is_set():
            await self.run_once()
            if await self._stopped_within(self._every):
                return

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()
