"""A stand-in trace collector on loopback: records every POST it receives."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Collector:
    url: str
    requests: list[Received] = field(default_factory=list)


@contextmanager
def running_collector(status: int = 202) -> Iterator[Collector]:
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            received.append(
                Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        do_POST = _record
        do_GET = _record

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Collector(url=f"http://127.0.0.1:{server.server_port}", requests=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
