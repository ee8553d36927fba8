"""The saga's re-drive as a background task of the service process: it survives failures
(a database that is briefly away must not end the saga's safety net)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from commerce.kernel.background import PeriodicTask

log = logging.getLogger("commerce.order.redrive")


def redrive_task(redrive: Callable[[], Awaitable[int]], poll_seconds: float) -> PeriodicTask:
    """Calls the re-drive use case every ``poll_seconds`` until stopped."""

    async def one_pass() -> None:
        count = await redrive()
        if count:
            log.info("re-drove %d order(s) still waiting for the catalog", count)

    return PeriodicTask("order-redrive", one_pass, poll_seconds)
