"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from commerce.kernel.http.problems import problem

ReadinessCheck = Callable[[], Awaitable[object]]
READINESS_TIMEOUT_SECONDS = 2.0
log = logging.getLogger("commerce.health")


async def _passes(name: str, check: ReadinessCheck) -> bool:
    try:
        await asyncio.wait_for(check(), READINESS_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
        log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return False
    return True


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Response:
        names = list(checks)
        results = await asyncio.gather(*(_passes(name, checks[name]) for name in names))
        status = {
            name: ("ok" if ok else "unavailable") for name, ok in zip(names, results, strict=True)
        }
        if all(results):
            return JSONResponse({"status": "ready", "checks": status})
        failed = ", ".join(name for name, ok in zip(names, results, strict=True) if not ok)
        return problem(503, f"Not ready: {failed} unavailable.", slug="not-ready")

    return router
