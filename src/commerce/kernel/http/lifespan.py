"""The one lifespan shape of a service, and the ``/readyz`` checks that follow it.

A service writes one ``start(app, stack)`` coroutine: it opens what it needs, pushes each
stop onto ``stack`` right after the start it undoes (so they run in reverse, also when a
later start fails), and returns the dependencies ``/readyz`` pings by name. Each is ready
only between the end of the start and the beginning of the stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Protocol

from fastapi import FastAPI

from commerce.kernel.db import Database
from commerce.kernel.http.health import ReadinessCheck
from commerce.kernel.settings import ServiceSettings


class Pingable(Protocol):
    """A dependency that answers when it can serve (a database, the broker, Redis)."""

    def ping(self) -> Awaitable[object]: ...


Start = Callable[[FastAPI, AsyncExitStack], Awaitable[Mapping[str, Pingable]]]


class ServiceLifespan:
    """The lifespan to give ``create_service_app`` and the readiness checks that go with it."""

    def __init__(self, start: Start, *, checks: tuple[str, ...]) -> None:
        self._start = start
        self._names = checks
        self._started: dict[str, Pingable] = {}

    @property
    def readiness(self) -> dict[str, ReadinessCheck]:
        return {name: partial(self._ping, name) for name in self._names}

    async def _ping(self, name: str) -> None:
        dependency = self._started.get(name)
        if dependency is None:
            raise RuntimeError(f"{name} not started")
        await dependency.ping()

    def __call__(self, app: FastAPI) -> AbstractAsyncContextManager[None]:
        return self._run(app)

    @asynccontextmanager
    async def _run(self, app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            started = await self._start(app, stack)
            self._started.update(started)
            try:
                yield
            finally:
                self._started.clear()


async def open_database(
    stack: AsyncExitStack, settings: ServiceSettings, service_package: str
) -> Database:
    """The service's database (migrated on start when its settings say so), closed by
    ``stack``: the first thing every ``start`` opens."""
    database = await Database.open(
        settings.resolved_database_url(),
        service_package=service_package,
        migrate=settings.migrate_on_start,
        pool_size=settings.database_pool_size,
    )
    stack.push_async_callback(database.close)
    return database
