"""Periodic work inside a service process (re-drives, purges, refreshes), written once.

A pass that fails is logged and tried again at the next interval: a database or peer that is
briefly away must not end the loop, and only ``stop()`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("commerce.background")


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
    ) -> None:
        self.name = name
        self._work = work
        self._every = every
        self._run_at_start = run_at_start
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
            log.exception("%s: pass failed; trying again in %.0f s", self.name, self._every)

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
