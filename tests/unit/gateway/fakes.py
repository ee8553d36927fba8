"""Hand-written fakes for the gateway's unit tests."""

from __future__ import annotations

from typing import Any


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeJwksEndpoint:
    """Serves whatever JWK Set the test put there and counts the fetches."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document
        self.fetches = 0
        self.down = False

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        if self.down or self.document is None:
            raise ConnectionError("auth is down")
        return self.document
