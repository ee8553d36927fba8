"""The peer client keeps the connections it opens: steady concurrency reuses them instead of
opening and closing one per call past a smaller keep-alive limit (docs/adr/0009)."""

from __future__ import annotations

import asyncio

import pytest

from commerce.kernel.http.peer_client import peer_client

pytestmark = pytest.mark.integration

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


async def test_steady_concurrency_reuses_the_connections_it_opened() -> None:
    accepted = 0
    release = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await release.wait()  # every call is in flight at once
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = peer_client(f"http://127.0.0.1:{port}", 5.0, max_connections=30)
    try:
        for _ in range(4):
            release.clear()
            calls = [asyncio.create_task(client.get("/")) for _ in range(30)]
            await asyncio.sleep(0.1)  # all 30 sent and waiting
            release.set()
            answers = await asyncio.gather(*calls)
            assert [answer.status_code for answer in answers] == [200] * 30
        # 30 connections for the first round, the same 30 for the three after it.
        assert accepted == 30
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
