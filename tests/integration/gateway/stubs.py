"""In-process stand-ins for the four services, reachable through one httpx transport.

Each stub echoes what it received (so tests can see exactly what the gateway forwarded)
and counts the hits; ``down``, ``slow`` and ``broken`` make a service fail the way a real
one does on the wire. ``hold_jwks()`` makes auth's JWKS endpoint hang until
``release_jwks()``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SERVICES = ("user", "auth", "product", "order")
URLS = {
    name: f"http://{name}.upstream.test:80{index + 1:02d}" for index, name in enumerate(SERVICES)
}


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
        self.down: set[str] = set()
        self.slow: set[str] = set()
        self.broken: set[str] = set()
        self.jwks_status = 200
        self.jwks_calls = 0
        self.jwks_answers = 0
        self.jwks_entered = asyncio.Event()  # set when a call starts waiting at the gate
        self._jwks_gate: asyncio.Event | None = None
        self.transports = {name: httpx.ASGITransport(app=self._app(name)) for name in SERVICES}

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
            body = await request.body()
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
            status = int(request.query_params.get("status", "200"))
            headers = {}
            if "location" in request.query_params:
                headers["Location"] = URLS[service] + request.query_params["location"]
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

        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        routes = [Route("/openapi.json", openapi)]
        if service == "auth":
            routes.append(Route("/v1/auth/jwks", jwks))
        routes.append(Route("/{path:path}", echo, methods=methods))
        return Starlette(routes=routes)


class StubTransport(httpx.AsyncBaseTransport):
    """Dispatches by host to the stubs, or fails like the network would."""

    def __init__(self, stubs: Stubs) -> None:
        self.stubs = stubs
        self._by_host: Mapping[str, str] = {httpx.URL(url).host: name for name, url in URLS.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = self._by_host.get(request.url.host)
        if service is None or service in self.stubs.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.stubs.hits[service] += 1
        if service in self.stubs.slow:
            raise httpx.ReadTimeout("timed out", request=request)
        if service in self.stubs.broken:
            raise httpx.RemoteProtocolError("garbage", request=request)
        return await self.stubs.transports[service].handle_async_request(request)
