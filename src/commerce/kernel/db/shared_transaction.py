"""One database transaction shared by the units of work of a batch (docs/adr/0043).

Inside :func:`shared_transaction`, every :class:`~commerce.kernel.db.unit_of_work.
SqlaUnitOfWork` entered in the same task uses the batch's session: its ``commit()`` only marks
the use case done, and the batch commits once at the end, or not at all. A use case that
cannot go on in the shared transaction (a duplicate delivery, an exit without commit)
raises :class:`SharedTransactionAborted`; the caller then undoes the batch and applies each
message on its own.

What every use case of a batch writes alike (its inbox and outbox rows) can be gathered into a
:class:`BatchWriter` (for rows of one table: :meth:`SharedTransaction.rows_for`) and written
in one statement just before the commit. What each asks alike of its message's key (is it
recorded already?) can be asked once for the batch's keys: :class:`KeysFoundAhead`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from sqlalchemy import CompoundSelect, Select, Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.batching import mark_shared, unmark_shared
from commerce.kernel.db.connections import Connections


class SharedTransactionAborted(Exception):
    """This use case needs a transaction of its own: undo the batch, go one by one."""


class BatchWriter(Protocol):
    """Rows gathered from the use cases of a batch, written together before it commits."""

    async def write(self, session: AsyncConnection) -> None: ...


W = TypeVar("W", bound=BatchWriter)
S = TypeVar("S")


class GatheredRows:
    """Rows of one table gathered from a batch's use cases, inserted by one statement in the
    order they were added (so ids ascend in that order)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._rows: list[dict[str, object]] = []

    def add(self, row: dict[str, object]) -> None:
        self._rows.append(row)

    async def write(self, session: AsyncConnection) -> None:
        if self._rows:
            await session.execute(insert(self._table), self._rows)


class KeysFoundAhead:
    """Which of a batch's message keys a query finds, read in one statement at the batch's
    first question instead of one per message (docs/adr/0047). ``query`` selects the key
    column where it is in the expanding parameter ``b_keys`` (a UNION may ask several
    tables)."""

    def __init__(self, keys: frozenset[str], query: Select[Any] | CompoundSelect[Any]) -> None:
        self._keys = keys
        self._query = query
        self._found: set[str] | None = None

    async def found(self, session: AsyncConnection, key: str) -> bool | None:
        """Whether the query found ``key``; ``None`` when it is none of the batch's keys
        (then ask on your own)."""
        if key not in self._keys:
            return None
        if self._found is None:
            rows = await session.execute(self._query, {"b_keys": sorted(self._keys)})
            self._found = {str(key) for key in rows.scalars()}
        return key in self._found


class SharedTransaction:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session
        self._after_commit: list[Callable[[], None]] = []
        self._writers: dict[Hashable, BatchWriter] = {}
        self._scoped: dict[Hashable, object] = {}

    def writer(self, key: Hashable, new: Callable[[], W]) -> W:
        """The batch's writer for ``key``, made with ``new()`` on first use; it writes just
        before the commit, and an error it raises undoes the batch like any other."""
        if key not in self._writers:
            self._writers[key] = new()
        return self._writers[key]  # type: ignore[return-value]

    def scoped(self, key: Hashable, new: Callable[[], S]) -> S:
        """State a repository keeps for the whole batch under ``key`` (rows read ahead), made
        with ``new()`` on first use; gone with the batch."""
        if key not in self._scoped:
            self._scoped[key] = new()
        return self._scoped[key]  # type: ignore[return-value]

    def rows_for(self, table: Table) -> GatheredRows:
        """The batch's rows for ``table``, inserted together just before it commits."""
        return self.writer(("rows", table.name), lambda: GatheredRows(table))

    async def write_gathered(self) -> None:
        for writer in self._writers.values():
            await writer.write(self.session)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the batch has committed (e.g. wake the outbox relay)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)


_current: ContextVar[SharedTransaction | None] = ContextVar("shared_transaction", default=None)


def current_shared_transaction() -> SharedTransaction | None:
    return _current.get()


@asynccontextmanager
async def shared_transaction(connections: Connections) -> AsyncIterator[SharedTransaction]:
    """Commit what the block's units of work did, once, if the block ends normally."""
    connection = connections()
    await connection.start()
    shared = SharedTransaction(connection)
    token = _current.set(shared)
    flag = mark_shared(True)
    try:
        yield shared
        await shared.write_gathered()
        await shared.session.commit()
    finally:
        unmark_shared(flag)
        _current.reset(token)
        await shared.session.close()  # rolls back what was not committed
    for callback in shared._after_commit:
        callback()
