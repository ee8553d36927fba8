"""The one lifespan shape: stops in reverse, also after a failed start; ready only while up."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from commerce.kernel.http.lifespan import Pingable, ServiceLifespan


class Dependency:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def ping(self) -> None:
        self.log.append(f"ping {self.name}")

    async def close(self) -> None:
        self.log.append(f"close {self.name}")


async def test_ready_only_between_start_and_stop_and_stops_in_reverse() -> None:
    log: list[str] = []

    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database, broker = Dependency("database", log), Dependency("broker", log)
        stack.push_async_callback(database.close)
        stack.push_async_callback(broker.close)
        return {"database": database, "broker": broker}

    lifespan = ServiceLifespan(start, checks=("database", "broker"))
    checks = lifespan.readiness
    with pytest.raises(RuntimeError):
        await checks["database"]()
    async with lifespan(FastAPI()):
        await checks["database"]()
        await checks["broker"]()
    with pytest.raises(RuntimeError):
        await checks["broker"]()
    assert log == ["ping database", "ping broker", "close broker", "close database"]


async def test_a_failed_start_undoes_what_it_started() -> None:
    log: list[str] = []

    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        stack.push_async_callback(Dependency("database", log).close)
        raise ConnectionError("broker away")

    lifespan = ServiceLifespan(start, checks=("database",))
    with pytest.raises(ConnectionError):
        async with lifespan(FastAPI()):
            pass  # pragma: no cover
    assert log == ["close database"]
    with pytest.raises(RuntimeError):
        await lifespan.readiness["database"]()
