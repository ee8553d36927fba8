"""Order changes noticed by polling the versions of the watched orders (docs/adr/0065).

While streams wait in this process, one query every ``interval`` seconds reads ``id,
version`` of every order they watch and wakes those whose version moved: commits of any
worker process, or of a consumer, are seen within one interval. Commits of this process wake
their streams at once (:meth:`touched`). With nobody waiting there is no query at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.kernel.background import PeriodicTask
from commerce.order.adapters.outbound.tables import orders

_VERSIONS = select(orders.c.id, orders.c.version).where(
    orders.c.id.in_(bindparam("ids", expanding=True))
)


class PollingOrderChangeFeed:
    def __init__(self, engine: AsyncEngine, *, interval: float, chunk: int = 500) -> None:
        self._engine = engine
        self._chunk = chunk  # ids per query: far below any driver's limit on parameters
        # order id -> each waiting stream's future and the version it has read
        self._waiters: dict[str, dict[asyncio.Future[None], int]] = {}
        self._poller = PeriodicTask("order-change-feed", self.poll, interval)

    def start(self) -> None:
        self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()

    @property
    def watched(self) -> int:
        """How many orders have a waiting stream in this process."""
        return len(self._waiters)

    async def changed(self, order_id: str, *, after_version: int, within: float) -> bool:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._waiters.setdefault(order_id, {})
        waiting[future] = after_version
        try:
            async with asyncio.timeout(within):
                await future
            return True
        except TimeoutError:
            # The timeout cancels the future it interrupted; a wake-up that came just before
            # it set a result instead.
            return future.done() and not future.cancelled()
        finally:
            del waiting[future]
            if not waiting and self._waiters.get(order_id) is waiting:
                del self._waiters[order_id]

    def touched(self, order_ids: Iterable[str]) -> None:
        """This process committed changes to these orders: their streams read them now."""
        for order_id in order_ids:
            self._wake(order_id, None)

    async def poll(self) -> None:
        """One pass: the versions of the watched orders, and the wake-ups they call for."""
        if not self._waiters:
            return
        ids = list(self._waiters)
        async with self._engine.connect() as connection:
            for start in range(0, len(ids), self._chunk):
                chunk = ids[start : start + self._chunk]
                rows = await connection.execute(_VERSIONS, {"ids": chunk})
                versions: dict[str, int] = {row.id: row.version for row in rows}
                for order_id in chunk:
                    # An order that vanished wakes its streams too: their read ends them.
                    self._wake(order_id, versions.get(order_id))

    def _wake(self, order_id: str, version: int | None) -> None:
        for future, after_version in self._waiters.get(order_id, {}).items():
            if not future.done() and (version is None or version > after_version):
                future.set_result(None)
