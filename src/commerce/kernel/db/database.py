"""A service's database for the life of its process: engine, connections, migrations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.kernel.db.connections import Connections
from commerce.kernel.db.engine import DEFAULT_POOL_SIZE, create_engine, ping


@dataclass
class Database:
    engine: AsyncEngine
    connections: Connections

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        service_package: str,
        migrate: bool,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> Database:
        """Connect and, when ``migrate``, bring the schema to the head of the service's history."""
        if not migrate:
            engine = create_engine(url, pool_size=pool_size)
        else:
            # Alembic is loaded only to migrate (about 11 MB a process that does not).
            from commerce.kernel.db.migrations import ensure_database, upgrade

            await ensure_database(url)
            engine = create_engine(url, pool_size=pool_size)
            await upgrade(engine, service_package)
        return cls(engine=engine, connections=Connections(engine))

    async def ping(self) -> None:
        await ping(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
