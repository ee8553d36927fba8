"""Real upstreams on loopback sockets, for the tests that stop and restart a service."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FlakyService:
    """Answers every path; ``failures[path] = n`` makes the next n hits on it a 503."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits: Counter[tuple[str, str]] = Counter()
        self.failures: Counter[str] = Counter()

    def app(self) -> Starlette:
        async def jwks(_: Request) -> Response:
            return JSONResponse(self.jwks)

        async def answer(request: Request) -> Response:
            path = request.url.path
            self.hits[(request.method, path)] += 1
            if self.failures[path] > 0:
                self.failures[path] -= 1
                return JSONResponse({"status": 503}, status_code=503)
            return JSONResponse({"path": path})

        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return Starlette(
            routes=[Route("/v1/auth/jwks", jwks), Route("/{path:path}", answer, methods=methods)]
        )


class ThreadedServer:
    """A uvicorn server in a thread: ``start()`` and ``stop()`` as often as needed."""

    def __init__(self, app: Starlette, port: int) -> None:
        self.app = app
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("stub server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(10)
        self._server = None
        self._thread = None


class SilentServer:
    """Accepts TCP connections and never answers: a service that hangs."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.read(65536):
                pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
