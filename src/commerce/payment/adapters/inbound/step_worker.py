"""The provider steps as a background worker of the service process.

It looks for due steps when woken (a use case left a step owed) or every ``poll_seconds``,
and runs each in a task of its own, at most ``concurrency`` at once: one provider that hangs
holds one slot for one call time-out, never the others. A failed look is logged and tried
again; ``stop()`` cancels the calls in flight (their claims lapse and another pass retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from commerce.kernel.background import stop_if_cancelled
from commerce.payment.application.provider_steps import ProviderSteps

log = logging.getLogger("commerce.payment.worker")


class StepWorker:
    def __init__(self, steps: ProviderSteps, *, concurrency: int, poll_seconds: float) -> None:
        self._steps = steps
        self._concurrency = concurrency
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name="payment-steps")

    def notify(self) -> None:
        """Look for due steps now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        task, self._loop_task = self._loop_task, None
        tasks = [t for t in (task, *self._running.values()) if t is not None]
        for each in tasks:
            each.cancel()
        for each in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await each
        self._running.clear()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def run_once(self) -> None:
        """Start a task for each due step, as far as free slots allow."""
        free = self._concurrency - len(self._running)
        if free <= 0:
            return
        try:
            due = await self._steps.due(free + len(self._running))
        except Exception as error:
            stop_if_cancelled(error)
            log.exception("looking for due payment steps failed; trying again")
            return
        for payment_id in due:
            if payment_id in self._running or len(self._running) >= self._concurrency:
                continue
            task = asyncio.create_task(self._run(payment_id), name=f"payment-step-{payment_id}")
            self._running[payment_id] = task

    async def _run(self, payment_id: str) -> None:
        try:
            await self._steps.run(payment_id)
        except Exception as error:
            stop_if_cancelled(error)
            log.exception("payment %s: step failed; retried at its next due time", payment_id)
        finally:
            self._running.pop(payment_id, None)
            self._wake.set()  # a slot is free, and the step may have owed another
