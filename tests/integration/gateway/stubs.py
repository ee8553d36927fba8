"""Stand-ins for the four services, each a real HTTP server on a loopback port.

Each stub echoes what it received (so tests can see exactly what the gateway forwarded)
and counts the hits; ``take_down(name)`` closes a service's port (connections refused, as
for a stopped service) and ``bring_back()`` opens it again. ``hold_jwks()`` makes auth's
JWKS endpoint hang until ``release_jwks()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from commerce.kernel.http.guarded import GuardedHttpToolsProtocol
from commerce.kernel.revocation import REVOKED_SESSION_HEADER

SERVICES = ("user", "auth", "product", "order")
SLOW_SECONDS = 1.0  # well past the 0.3 s read timeout the tests give the gateway


def openapi_document(service: str) -> dict[str, Any]:
    prefix = {
        "user": "/v1/users",
        "auth": "/v1/auth",
        "product": "/v1/products",
        "order": "/v1/orders",
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": service, "version": "1"},
        "paths": {
            prefix[service]: {"get": {"responses": {"200": {"description": "ok"}}}},
            "/internal/secret": {"post": {"responses": {"200": {"description": "no"}}}},
        },
        "components": {"schemas": {"Thing": {"title": f"{service} thing"}}},
    }


class Stubs:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits: Counter[str] = Counter()
        self.received: list[dict[str, Any]] = []
        self.slow: set[str] = set()  # these answer after SLOW_SECONDS
        # What order's /v1/orders/{id}/events streams, one event per item; None ends it.
        self.events: asyncio.Queue[str | None] = asyncio.Queue()
        self.stream_closed = asyncio.Event()  # set when that stream's generator ends
        self.jwks_status = 200
        self.jwks_calls = 0
        self.jwks_answers = 0
        self.jwks_entered = asyncio.Event()  # set when a call starts waiting at the gate
        self._jwks_gate: asyncio.Event | None = None
        self.ports: dict[str, int] = {}
        self._servers: dict[str, tuple[Any, asyncio.Task[None]]] = {}

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    async def start(self) -> None:
        for name in SERVICES:
            await self._serve(name)

    async def stop(self) -> None:
        for name in list(self._servers):
            await self.take_down(name)

    async def take_down(self, name: str) -> None:
        """Close the service's port: new connections are refused."""
        server, task = self._servers.pop(name)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def answer_garbage(self, name: str) -> None:
        """Replace the service by one that answers every request with bytes that are not
        HTTP (taken down by ``take_down``/``stop`` like the others)."""
        await self.take_down(name)

        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)
            writer.write(b"\x00\x01 this is not HTTP\r\n\r\n")
            await writer.drain()
            writer.close()

        raw = await asyncio.start_server(garbage, "127.0.0.1", self.ports[name], reuse_address=True)

        async def until_stopped() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                raw.close()

        task = asyncio.create_task(until_stopped())
        self._servers[name] = (_Cancels(task), task)

    async def bring_back(self) -> None:
        """Serve every service that was taken down again, on its old port."""
        for name in SERVICES:
            if name not in self._servers:
                await self._serve(name)

    async def _serve(self, name: str) -> None:
        app = self._counted(name, self._app(name))
        server, task, port = await serve_on_loopback(app, self.ports.get(name, 0))
        self.ports[name] = port
        self._servers[name] = (server, task)

    def _counted(self, name: str, app: Starlette) -> Any:
        async def counting(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.hits[name] += 1
            await app(scope, receive, send)

        return counting

    def hold_jwks(self) -> None:
        self.jwks_entered.clear()
        self._jwks_gate = asyncio.Event()

    def release_jwks(self) -> None:
        if self._jwks_gate is not None:
            self._jwks_gate.set()
        self._jwks_gate = None

    @property
    def last(self) -> dict[str, Any]:
        return self.received[-1]

    def _app(self, service: str) -> Starlette:
        async def echo(request: Request) -> Response:
            try:
                body = await request.body()
            except ClientDisconnect:  # the gateway dropped the request mid-body
                return Response(status_code=499)
            seen = {
                "service": service,
                "method": request.method,
                "path": request.url.path,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.url.query,
                "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
                "body": body.decode("latin-1"),
            }
            self.received.append(seen)
            if service in self.slow:
                await asyncio.sleep(SLOW_SECONDS)
            status = int(request.query_params.get("status", "200"))
            headers = {}
            if "location" in request.query_params:
                headers["Location"] = self.urls[service] + request.query_params["location"]
            if "revoke" in request.query_params:  # as auth says a session was revoked
                headers[REVOKED_SESSION_HEADER] = request.query_params["revoke"]
            return Response(
                json.dumps(seen), status_code=status, headers=headers, media_type="application/json"
            )

        async def jwks(_: Request) -> Response:
            self.jwks_calls += 1
            gate = self._jwks_gate
            if gate is not None:
                self.jwks_entered.set()
                await gate.wait()
            self.jwks_answers += 1
            return JSONResponse(self.jwks, status_code=self.jwks_status)

        async def openapi(_: Request) -> Response:
            return JSONResponse(openapi_document(service))

        async def events(_: Request) -> Response:
            async def stream() -> AsyncIterator[bytes]:
                try:
                    yield b": connected\n\n"
                    while (event := await self.events.get()) is not None:
                        yield f"data: {event}\n\n".encode()
                finally:
                    self.stream_closed.set()

            return StreamingResponse(stream(), media_type="text/event-stream")

        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        routes = [Route("/openapi.json", openapi)]
        if service == "order":
            routes.append(Route("/v1/orders/{order_id}/events", events))
        if service == "auth":
            routes.append(Route("/v1/auth/jwks", jwks))
        routes.append(Route("/{path:path}", echo, methods=methods))
        return Starlette(routes=routes)


async def serve_on_loopback(
    app: Any, port: int = 0, *, lifespan: str = "off"
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """``app`` under uvicorn in this event loop on 127.0.0.1:``port`` (0: any free one);
    stop it with ``server.should_exit = True`` and await the task."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it, uvicorn's two writes per answer (head,
    # then body) meet Nagle and the client's delayed ACK, 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    # The services' own protocol (one write per turn), so streaming is tested through it.
    config = uvicorn.Config(
        app, lifespan=lifespan, log_level="warning", http=GuardedHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    return server, task, sock.getsockname()[1]


class _Cancels:
    """Stops a raw server the way ``take_down`` stops uvicorn: by ``should_exit``."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    @property
    def should_exit(self) -> bool:
        return self._task.cancelled()

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value:
            self._task.cancel()
