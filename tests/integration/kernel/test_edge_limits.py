"""Edge limits of every service and the gateway (kernel.http.guarded), on a real uvicorn
server and raw sockets: what a slow or greedy client sends, byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from commerce.kernel.http.guarded import EdgeLimits, GuardedHttpToolsProtocol, apply_edge_limits

pytestmark = pytest.mark.integration

LIMITS = EdgeLimits(
    max_field_bytes=2048,
    max_head_bytes=8192,
    head_timeout_seconds=0.4,
    body_idle_seconds=0.4,
    max_connections_per_client=3,
)
BOUND = 5.0  # no step of a test waits longer


class App:
    """Answers 200 with the body's length; remembers what it saw."""

    def __init__(self) -> None:
        self.calls = 0
        self.disconnected = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.calls += 1
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected.set()
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = json.dumps({"received": size}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def served() -> AsyncIterator[tuple[App, int]]:
    before = GuardedHttpToolsProtocol.limits
    apply_edge_limits(LIMITS)
    app = App()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=GuardedHttpToolsProtocol, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.005)
    try:
        yield app, sock.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, BOUND)
        apply_edge_limits(before)


async def exchange(port: int, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send ``parts`` (pausing between them), then read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            with contextlib.suppress(ConnectionError):
                writer.write(part)
                await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        return await asyncio.wait_for(reader.read(), BOUND)
    finally:
        writer.close()


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def problem_of(answer: bytes) -> dict[str, object]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    problem: dict[str, object] = json.loads(body)
    return problem


GET = b"GET / HTTP/1.1\r\nHost: x\r\n"


async def test_ordinary_requests_pass_on_one_connection(served: tuple[App, int]) -> None:
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(2):  # keep-alive: the limits start over per request
            writer.write(GET + b"X-Padding: " + b"p" * 1500 + b"\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
            assert status_of(head) == 200
            await asyncio.wait_for(reader.readexactly(len(b'{"received": 0}')), BOUND)
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (GET + b"X-Big: " + b"b" * 4096 + b"\r\n\r\n", 431),  # one header too large
        (GET + b"X-Request-Id: " + b"r" * 1_000_000 + b"\r\n\r\n", 431),  # 1 MB, refused early
        (GET + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 500) for i in range(40)) + b"\r\n", 431),
        (b"GET /" + b"a" * 4096 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ],
    ids=["one-header", "megabyte-request-id", "too-many-headers", "long-target"],
)
async def test_an_oversized_head_is_refused_and_never_reaches_the_app(
    served: tuple[App, int], head: bytes, status: int
) -> None:
    app, port = served
    answer = await exchange(port, head)
    assert status_of(answer) == status
    assert problem_of(answer)["status"] == status
    assert app.calls == 0


async def test_a_head_that_trickles_in_is_cut_off(served: tuple[App, int]) -> None:
    app, port = served
    answer = await exchange(port, b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n", pause=0.2)
    assert status_of(answer) == 408
    assert app.calls == 0


async def test_a_connection_that_says_nothing_is_closed(served: tuple[App, int]) -> None:
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        answer = await asyncio.wait_for(reader.read(), BOUND)
    finally:
        writer.close()
    assert status_of(answer) == 408


async def test_a_body_that_stops_half_way_closes_the_connection(served: tuple[App, int]) -> None:
    app, port = served
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    answer = await exchange(port, head + b"x" * 10)
    assert answer == b""  # closed without an answer: nobody is there to read one
    await asyncio.wait_for(app.disconnected.wait(), BOUND)


async def test_a_client_gets_only_so_many_connections(served: tuple[App, int]) -> None:
    _, port = served
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    try:
        refused = await exchange(port, GET + b"\r\n")
        assert status_of(refused) == 503
        assert problem_of(refused)["status"] == 503
    finally:
        for _, writer in held:
            writer.close()
    await asyncio.sleep(0.1)  # the server sees them go
    assert status_of(await exchange(port, GET + b"Connection: close\r\n\r\n")) == 200
