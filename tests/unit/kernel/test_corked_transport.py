"""CorkedTransport: the writes of one loop turn leave together, and nothing is held longer."""

from __future__ import annotations

import asyncio

from commerce.kernel.http.corked import FLUSH_AT_BYTES, CorkedTransport


class RecordingTransport:
    """Stands in for the socket's transport: what reached it, in order."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def corked() -> tuple[CorkedTransport, RecordingTransport]:
    inner = RecordingTransport()
    return CorkedTransport(inner, asyncio.get_running_loop()), inner  # type: ignore[arg-type]


async def test_head_and_body_written_in_one_turn_leave_as_one_write() -> None:
    transport, inner = corked()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert inner.writes == []
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


async def test_a_write_in_a_later_turn_is_not_held_for_more() -> None:
    """A stream (SSE) gets each event out when the loop runs next, not when more comes."""
    transport, inner = corked()
    transport.write(b"data: one\n\n")
    await asyncio.sleep(0)
    transport.write(b"data: two\n\n")
    await asyncio.sleep(0)
    assert inner.writes == [b"data: one\n\n", b"data: two\n\n"]


async def test_a_large_write_leaves_at_once() -> None:
    transport, inner = corked()
    transport.write(b"head")
    transport.write(b"x" * FLUSH_AT_BYTES)
    assert inner.writes == [b"head" + b"x" * FLUSH_AT_BYTES]
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert len(inner.writes) == 1


async def test_close_sends_what_is_held_first() -> None:
    transport, inner = corked()
    transport.write(b"last words")
    transport.close()
    assert inner.writes == [b"last words"] and inner.closed
    await asyncio.sleep(0)
    assert inner.writes == [b"last words"]


async def test_nothing_is_written_to_a_connection_already_closing() -> None:
    transport, inner = corked()
    transport.write(b"too late")
    inner.closed = True  # the peer went away meanwhile
    await asyncio.sleep(0)
    assert inner.writes == []


async def test_everything_else_is_the_transports_own() -> None:
    transport, _ = corked()
    assert transport.get_extra_info("peername") == "info:peername"
    assert transport.is_closing() is False


class HalfClosingTransport(RecordingTransport):
    def __init__(self) -> None:
        super().__init__()
        self.eof_after: int | None = None

    def write_eof(self) -> None:
        self.eof_after = len(self.writes)


async def test_write_eof_sends_what_is_held_first() -> None:
    inner = HalfClosingTransport()
    transport = CorkedTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n")
    transport.write_eof()
    assert inner.eof_after == 1 and len(inner.writes) == 1
