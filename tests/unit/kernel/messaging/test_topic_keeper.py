"""The runtime's periodic topic check: a failure streak is one warning, not one per check."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import pytest

from commerce.kernel.messaging.runtime import keep_topics


class ScriptedAdmin:
    """Fails or succeeds as scripted (True = works), then signals that the script ran out."""

    def __init__(self, script: list[bool]) -> None:
        self.script = script
        self.checked: list[list[str]] = []
        self.done = asyncio.Event()

    async def ensure_topics(self, topics: Iterable[str]) -> list[str]:
        self.checked.append(list(topics))
        if len(self.checked) >= len(self.script):
            self.done.set()
        if len(self.checked) > len(self.script) or self.script[len(self.checked) - 1]:
            return []
        raise ConnectionError("broker down")


async def test_one_warning_per_failure_streak(caplog: pytest.LogCaptureFixture) -> None:
    admin = ScriptedAdmin([False, False, False, True, True, False, False, True])
    caplog.set_level(logging.DEBUG, logger="commerce.messaging")
    task = asyncio.create_task(keep_topics(admin, ["a", "a.dlq"], 0.001))  # type: ignore[arg-type]
    try:
        await admin.done.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # two streaks
    assert all("ConnectionError" in r.getMessage() for r in warnings)
    recovered = [r for r in caplog.records if r.getMessage() == "topic check works again"]
    assert len(recovered) == 2
    assert admin.checked[0] == ["a", "a.dlq"]
