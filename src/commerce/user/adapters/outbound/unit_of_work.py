"""The user service's unit of work: one transaction, the users repository inside it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.kernel.db import SqlaUnitOfWork
from commerce.user.adapters.outbound.repository import SqlaUserRepository


class SqlaUserUnitOfWork(SqlaUnitOfWork):
    users: SqlaUserRepository

    def _build_repositories(self, session: AsyncSession) -> None:
        self.users = SqlaUserRepository(session)
