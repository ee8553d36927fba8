from __future__ import annotations

import asyncio
import logging

import pytest

from commerce.kernel.background import PeriodicTask


async def test_a_failing_pass_does_not_end_the_loop_and_stop_does() -> None:
    calls = 0
    third = asyncio.Event()

    async def work() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            third.set()
        if calls < 3:
            raise ConnectionError("database away")

    task = PeriodicTask("test", work, every=0.001)
    task.start()
    await asyncio.wait_for(third.wait(), 5)
    await task.stop()
    stopped_at = calls
    await asyncio.sleep(0.01)
    assert calls == stopped_at >= 3


async def test_first_pass_can_wait_one_interval() -> None:
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    task = PeriodicTask("late", work, every=60, run_at_start=False)
    task.start()
    await asyncio.sleep(0.01)
    await task.stop()
    assert not ran.is_set()


async def test_a_failing_pass_is_logged_in_full_once_then_every_half_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = 0.0
    failing = True

    async def work() -> None:
        if failing:
            raise ConnectionError("database away")

    task = PeriodicTask("poll", work, every=0.25, clock=lambda: now)
    with caplog.at_level(logging.INFO, logger="commerce.background"):
        for _ in range(120):  # 30 s of failed passes, 4 a second
            await task.run_once()
            now += 0.25
        await task.run_once()  # 30 s after the first: one line that it goes on
        failing = False
        await task.run_once()
        await task.run_once()
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        ("ERROR", "poll: pass failed; trying again in 0.25 s", True),
        (
            "WARNING",
            "poll: 121 passes failed in a row, still trying every 0.25 s: "
            "ConnectionError: database away",
            False,
        ),
        ("INFO", "poll: passes work again after 121 failed", False),
    ]
