"""uvicorn's HTTP protocol with the writes of one event-loop turn sent together.

uvicorn writes an answer's status line and headers on ``http.response.start`` and its body on
``http.response.body``: two ``send()`` calls, two TCP segments, and two wake-ups of the peer,
for every small JSON answer. Holding the writes of one loop turn and sending them as one (the
way aiohttp, undici and bun cork a response) halves that. A turn is short: whatever is written
leaves at the latest when the loop next runs its ready callbacks, so a streamed answer (SSE)
is not held back, and a large write leaves at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Writes past this size are sent at once: the transport's own buffering and flow control
# (pause_writing) then work as without corking.
FLUSH_AT_BYTES = 64 * 1024


class CorkedTransport:
    """A transport whose writes wait for the end of the loop turn, then leave as one."""

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= FLUSH_AT_BYTES:
            self.flush()

    def flush(self) -> None:
        """Send what is held now (a no-op when nothing is, or the connection is closing)."""
        if not self._pending:
            return
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, abort, ...) as is.
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a :class:`CorkedTransport` (``uvicorn.run(http=...)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, self.loop))  # type: ignore[arg-type]
