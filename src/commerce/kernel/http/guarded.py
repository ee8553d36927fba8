"""uvicorn's HTTP protocol with limits at the edge, for the gateway and every service.

uvicorn's httptools protocol reads a request head of any size, waits for it for ever and
lets a client open any number of connections: a 64 MiB header, a header trickled one byte
a minute, a body that stops half way, all hold memory or a connection as long as the client
likes. :class:`GuardedHttpToolsProtocol` adds, per connection (docs/adr/0039):

- the request line and each header at most ``max_field_bytes`` (414 / 431), the whole head
  at most ``max_head_bytes`` (431), counted as the bytes arrive, so an oversized head is
  refused before it is read whole, and never reaches the application (nor any upstream);
- the head complete within ``head_timeout_seconds`` of its first byte, or of the connection
  opening (408); a body that goes quiet for ``body_idle_seconds`` closes the connection;
- at most ``max_connections_per_client`` open connections per client address (the TCP peer).

Refusals are problem+json answers that close the connection.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar

from commerce.kernel.http.corked import CorkedHttpToolsProtocol
from commerce.kernel.http.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

_TOO_LARGE = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
# After a refusal the connection reads (and drops) what the client is still sending for this
# long before it closes: closing with unread data would reset the connection, and the client
# would likely never read the answer.
LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class EdgeLimits:
    max_field_bytes: int = 16 * 1024
    max_head_bytes: int = 64 * 1024
    head_timeout_seconds: float = 10.0
    body_idle_seconds: float = 30.0
    max_connections_per_client: int = 1024


def apply_edge_limits(limits: EdgeLimits) -> None:
    """The limits of every connection this process serves from now on (set in each worker
    process: uvicorn passes the protocol class to its workers by name)."""
    GuardedHttpToolsProtocol.limits = limits


class GuardedHttpToolsProtocol(CorkedHttpToolsProtocol):
    limits: ClassVar[EdgeLimits] = EdgeLimits()
    # Open connections per client address, for all connections of this process.
    open_per_client: ClassVar[Counter[str]] = Counter()
    # Every open connection of this process, for the sweep that enforces the deadlines: a
    # deadline per request is two float writes, where a timer per request (call_later and
    # cancel) cost measurable CPU on every answer.
    watched: ClassVar[set[GuardedHttpToolsProtocol]] = set()
    _sweeping: ClassVar[asyncio.AbstractEventLoop | None] = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refused = False
        self._reading_head = True
        self._head_bytes = 0
        self._linger: asyncio.TimerHandle | None = None
        self._counted_as = self.client[0] if self.client else ""
        self.open_per_client[self._counted_as] += 1
        self.watched.add(self)
        self._start_sweeping()
        if self.open_per_client[self._counted_as] > self.limits.max_connections_per_client:
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "Too many connections from you.")
            return
        # The head must come within the timeout of the connection opening, or of its first byte.
        self._deadline: float | None = self.loop.time() + self.limits.head_timeout_seconds

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._linger is not None:
            self._linger.cancel()
        self.watched.discard(self)
        self.open_per_client[self._counted_as] -= 1
        if self.open_per_client[self._counted_as] <= 0:
            del self.open_per_client[self._counted_as]
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._reading_head and not self._refused:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_head_bytes:
                self._refuse(_TOO_LARGE, "The request head is too large.")

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        if self._deadline is None:
            self._deadline = self.loop.time() + self.limits.head_timeout_seconds

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        super().on_url(url)
        if len(self.url) > self.limits.max_field_bytes:
            self._refuse(HTTPStatus.REQUEST_URI_TOO_LONG, "The request target is too long.")

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        # A head that arrived in one piece was not counted as it came: check it whole.
        field_limit, total = self.limits.max_field_bytes, len(self.url)
        for name, value in self.headers:
            size = len(name) + len(value)
            if size > field_limit:
                self._refuse(_TOO_LARGE, "A request header is too large.")
                return
            total += size
        if total > self.limits.max_head_bytes:
            self._refuse(_TOO_LARGE, "The request head is too large.")
            return
        self._reading_head = False
        self._deadline = self.loop.time() + self.limits.body_idle_seconds
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._deadline = self.loop.time() + self.limits.body_idle_seconds
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._deadline = None
        self._reading_head = True
        self._head_bytes = 0
        super().on_message_complete()

    def _overdue(self) -> None:
        """The sweep found this connection past its deadline."""
        self._deadline = None
        if self._reading_head:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "The request head took too long.")
        elif self.flow.read_paused:  # we stopped reading, not the client: wait again
            self._deadline = self.loop.time() + self.limits.body_idle_seconds
        else:
            self.transport.close()  # a body went quiet: the application sees the client leave

    def _start_sweeping(self) -> None:
        cls = GuardedHttpToolsProtocol
        if cls._sweeping is not self.loop:
            cls._sweeping = self.loop
            self.loop.call_later(_sweep_interval(self.limits), _sweep, self.loop)

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        """Answer ``status`` as problem+json, close, and ignore whatever else arrives."""
        self._refused = True
        self._deadline = None
        if self.transport.is_closing():
            return
        body = json.dumps(
            {
                "type": PROBLEM_TYPE_BASE + status.phrase.lower().replace(" ", "-"),
                "title": status.phrase,
                "status": int(status),
                "detail": detail,
            }
        ).encode()
        head = (
            f"HTTP/1.1 {int(status)} {status.phrase}\r\n"
            f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        ).encode("ascii")
        self.transport.write(head + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def _sweep_interval(limits: EdgeLimits) -> float:
    return min(1.0, limits.head_timeout_seconds / 4, limits.body_idle_seconds / 4)


def _sweep(loop: asyncio.AbstractEventLoop) -> None:
    """Acts on every connection past its deadline, then comes back; stops with no connection
    left (the next one starts it again)."""
    now = loop.time()
    for connection in list(GuardedHttpToolsProtocol.watched):
        deadline = connection._deadline
        if deadline is not None and deadline <= now and not connection.transport.is_closing():
            connection._overdue()
    if GuardedHttpToolsProtocol.watched:
        limits = GuardedHttpToolsProtocol.limits
        loop.call_later(_sweep_interval(limits), _sweep, loop)
    else:
        GuardedHttpToolsProtocol._sweeping = None
