"""/healthz says the process is alive; /readyz is 503 while any dependency check fails."""

from __future__ import annotations

import asyncio

import pytest

from commerce.kernel.http import health
from tests.unit.kernel.observability.support import client_for, widget_app


async def ok() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("broker at 10.1.2.3:9092 refused")


async def hangs() -> None:
    await asyncio.sleep(60)


async def test_ready_when_every_check_passes() -> None:
    app = widget_app("/h1", readiness={"database": ok, "broker": ok})
    async with client_for(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.parametrize("failing", ["database", "broker", "redis"])
async def test_not_ready_while_any_dependency_fails(failing: str) -> None:
    checks = {name: ok for name in ("database", "broker", "redis")}
    checks[failing] = refused
    async with client_for(widget_app("/h2", readiness=checks)) as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    body = ready.json()
    assert body["type"].endswith("/not-ready") and body["status"] == 503
    assert body["detail"] == f"Not ready: {failing} unavailable."
    assert "10.1.2.3" not in ready.text
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}


async def test_a_check_that_hangs_counts_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "READINESS_TIMEOUT_SECONDS", 0.05)
    async with client_for(widget_app("/h3", readiness={"redis": hangs, "database": ok})) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready: redis unavailable."


async def test_readiness_follows_the_dependency_back_up() -> None:
    state = {"up": False}

    async def database() -> None:
        if not state["up"]:
            raise ConnectionError("down")

    async with client_for(widget_app("/h4", readiness={"database": database})) as client:
        down = await client.get("/readyz")
        state["up"] = True
        up = await client.get("/readyz")
    assert (down.status_code, up.status_code) == (503, 200)
