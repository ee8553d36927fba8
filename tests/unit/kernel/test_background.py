from __future__ import annotations

import asyncio

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
