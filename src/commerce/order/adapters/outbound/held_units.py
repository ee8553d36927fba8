"""Units held per user (``held_units``), changed in the transaction that changes the orders.

The cap is decided by one conditional UPDATE (ADR 0063): concurrent placements of one user
queue on the user's row, and each is checked against the sum the ones before it committed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Executable, bindparam, case, select, update
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.db.shared_transaction import SharedTransaction
from commerce.order.adapters.outbound.tables import held_units

# Built once, like the repository's statements; values come as parameters.
_HOLD = (
    update(held_units)
    .where(
        held_units.c.user_id == bindparam("b_user_id"),
        held_units.c.units + bindparam("b_units") <= bindparam("b_cap"),
    )
    .values(units=held_units.c.units + bindparam("b_units"))
)
# Never below zero: an order placed by a replica still running the code before this table
# (during a rolling upgrade) was never counted, and its release must not leave a credit.
_RELEASE = (
    update(held_units)
    .where(held_units.c.user_id == bindparam("b_user_id"))
    .values(
        units=case(
            (held_units.c.units > bindparam("b_units"), held_units.c.units - bindparam("b_units")),
            else_=0,
        )
    )
)
_HELD_BY = select(held_units.c.units).where(held_units.c.user_id == bindparam("b_user_id"))
# A user's first row, at zero, or nothing if it is there. On MariaDB the duplicate takes the
# row's exclusive lock at once (ON DUPLICATE KEY UPDATE): INSERT IGNORE would take a shared
# one, and two first orders holding it would deadlock on their UPDATEs.
_ADD_ROW: dict[str, Executable] = {
    "sqlite": sqlite.insert(held_units).on_conflict_do_nothing(),
    "mysql": mysql.insert(held_units).on_duplicate_key_update(units=held_units.c.units),
}
_ADD_ROW["mariadb"] = _ADD_ROW["mysql"]


class SqlaHeldUnits:
    """Never commits. Inside a consumer batch's shared transaction, releases are gathered and
    written just before the commit, one UPDATE per user in user order (see
    :class:`BatchReleases`)."""

    def __init__(self, session: AsyncConnection, shared: SharedTransaction | None) -> None:
        self._session = session
        self._shared = shared

    async def hold(self, user_id: str, units: int, *, cap: int) -> bool:
        held = {"b_user_id": user_id, "b_units": units, "b_cap": cap}
        if await self._changed(_HOLD, held):
            return True  # the usual case: one statement
        if units > cap:
            return False
        # No row yet, or over the cap. Make sure the row exists (a concurrent first order of
        # this user may be adding it: we wait for that one), then try once more.
        add_row = _ADD_ROW[self._session.dialect.name]
        await self._session.execute(add_row, {"user_id": user_id, "units": 0})
        return await self._changed(_HOLD, held)

    async def held_by(self, user_id: str) -> int:
        units = await self._session.scalar(_HELD_BY, {"b_user_id": user_id})
        return int(units or 0)

    async def release(self, user_id: str, units: int) -> None:
        if self._shared is not None:
            releases = self._shared.writer(("held_units", "releases"), BatchReleases)
            releases.add(user_id, units)
            return
        await self._session.execute(_RELEASE, {"b_user_id": user_id, "b_units": units})

    async def _changed(self, statement: Executable, parameters: dict[str, Any]) -> bool:
        result = await self._session.execute(statement, parameters)
        return bool(result.rowcount)


class BatchReleases:
    """The releases of one consumer batch, summed per user. Written last and in user order,
    every batch takes the user rows' locks after its order rows and in the same order as
    any other batch, so two batches never wait for each other in a circle."""

    def __init__(self) -> None:
        self._units: Counter[str] = Counter()

    def add(self, user_id: str, units: int) -> None:
        self._units[user_id] += units

    async def write(self, session: AsyncConnection) -> None:
        if self._units:
            rows = [
                {"b_user_id": user, "b_units": units} for user, units in sorted(self._units.items())
            ]
            await session.execute(_RELEASE, rows)
