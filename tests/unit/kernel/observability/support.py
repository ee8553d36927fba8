"""Helpers for the observability tests: a small service app and a log capture."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from commerce.kernel.http.app import create_service_app
from commerce.kernel.logging import json_handler
from tests.identity import VERIFIER


def widget_app(prefix: str, readiness: dict[str, Any] | None = None) -> FastAPI:
    """A service app with a templated route under a prefix unique to the calling test."""
    router = APIRouter()

    @router.get(prefix + "/widgets/{widget_id}")
    async def read(widget_id: str) -> dict[str, str]:
        return {"id": widget_id}

    @router.post(prefix + "/widgets")
    async def create(body: dict[str, Any]) -> dict[str, str]:
        return {"created": "yes"}

    @router.get(prefix + "/boom")
    async def boom() -> None:
        raise RuntimeError("exploded with password='hunter2'")

    return create_service_app(
        proofs=VERIFIER, title="t", routers=[router], readiness=readiness or {}
    )


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@contextmanager
def captured_logs(service: str = "svc") -> Iterator[CapturedLogs]:
    """Everything logged meanwhile, as the JSON lines a service process would write."""
    stream = io.StringIO()
    handler = json_handler(service, stream)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield CapturedLogs(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
