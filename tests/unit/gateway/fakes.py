"""Hand-written fakes for the gateway's unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeJwksEndpoint:
    """Serves whatever JWK Set the test put there and counts the fetches.

    ``error`` is what a fetch raises while ``down``; after ``hold()`` every fetch waits until
    ``release()`` (auth hanging), and ``finished`` counts the fetches that came back.
    """

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document
        self.fetches = 0
        self.finished = 0
        self.down = False
        self.error: Exception = ConnectionError("auth is down")
        self._gate: asyncio.Event | None = None

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._gate = None

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        try:
            if self._gate is not None:
                await self._gate.wait()
            if self.down or self.document is None:
                raise self.error
            return self.document
        finally:
            self.finished += 1


async def settle(condition: Callable[[], bool], rounds: int = 100) -> None:
    """Let other tasks run until ``condition`` holds (no clock involved)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")
