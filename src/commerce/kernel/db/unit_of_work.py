"""The unit of work: the only place that commits.

A service subclasses :class:`SqlaUnitOfWork` and builds its repositories in
``_build_repositories`` from the open session. Leaving the ``async with`` block without
``commit()`` rolls everything back, so a failed use case writes nothing.

Inside a batch's shared transaction (:mod:`commerce.kernel.db.shared_transaction`) the unit
of work joins that transaction instead: ``commit()`` marks it done and the batch commits.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.db.connections import Connections
from commerce.kernel.db.shared_transaction import (
    SharedTransaction,
    SharedTransactionAborted,
    current_shared_transaction,
)


class SqlaUnitOfWork:
    """One database transaction around one use case."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._session: AsyncConnection | None = None
        self._shared: SharedTransaction | None = None
        self._committed = False

    @property
    def session(self) -> AsyncConnection:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    @property
    def shared(self) -> SharedTransaction | None:
        """The batch transaction this unit of work joined, if any."""
        return self._shared

    async def __aenter__(self) -> Self:
        self._shared = current_shared_transaction()
        self._committed = False
        if self._shared is not None:
            self._session = self._shared.session
        else:
            self._session = self._connections()
            await self._session.start()
        self._build_repositories(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        if self._shared is not None:
            self._session, self._shared = None, None
            if exc is None and not self._committed:
                # Its writes cannot be undone alone: undo the batch instead.
                raise SharedTransactionAborted("a use case ended without committing")
            return
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    def _build_repositories(self, session: AsyncConnection) -> None:
        """Hook for subclasses: attach repositories bound to ``session``."""

    async def commit(self) -> None:
        if self._shared is not None:
            self._committed = True  # the batch commits
            return
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
