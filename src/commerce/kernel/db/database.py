"""A service's database for the life of its process: engine, sessions, migrations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from commerce.kernel.db.engine import create_engine, ping
from commerce.kernel.db.migrations import ensure_database, upgrade


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    async def open(cls, url: str, *, service_package: str, migrate: bool) -> Database:
        """Connect and, when ``migrate``, bring the schema to the head of the service's history."""
        if migrate:
            await ensure_database(url)
        engine = create_engine(url)
        if migrate:
            await upgrade(engine, service_package)
        sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return cls(engine=engine, sessions=sessions)

    async def ping(self) -> None:
        await ping(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
