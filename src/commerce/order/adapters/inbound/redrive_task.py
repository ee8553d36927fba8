"""The saga's re-drive as a background task of the service process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("commerce.order.redrive")


class RedriveTask:
    """Calls the re-drive use case every ``poll_seconds`` until stopped; survives failures
    (a database that is briefly away must not end the saga's safety net)."""

    def __init__(self, redrive: Callable[[], Awaitable[int]], poll_seconds: float) -> None:
        self._redrive = redrive
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="order-redrive")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while True:
            try:
                count = await self._redrive()
            except Exception:
                log.exception("re-drive pass failed; trying again later")
            else:
                if count:
                    log.info("re-drove %d order(s) still waiting for the catalog", count)
            await asyncio.sleep(self._poll_seconds)
