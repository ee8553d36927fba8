"""A client that goes away while the gateway reads its body."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from commerce.gateway.bootstrap import create_app
from tests.integration.gateway.conftest import gateway_settings
from tests.integration.gateway.stubs import Stubs

pytestmark = pytest.mark.integration


def requests_counted(route: str, status: int) -> float:
    labels = {"method": "POST", "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("commerce_http_requests_total", labels) or 0.0


def scope_for(path: str, content_length: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gateway"),
            (b"content-type", b"application/json"),
            (b"content-length", str(content_length).encode()),
        ],
        "client": ("203.0.113.7", 50000),
        "server": ("gateway", 80),
    }


def receiving(*messages: dict[str, Any]):  # type: ignore[no-untyped-def]
    """An ASGI ``receive`` giving ``messages``, then ``http.disconnect`` for ever."""
    queue: Iterator[dict[str, Any]] = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(queue, {"type": "http.disconnect"})

    return receive


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [{"type": "http.request", "body": b'{"email": "a@ex', "more_body": True}],
    ],
    ids=["before-any-byte", "mid-body"],
)
async def test_a_client_gone_mid_body_ends_quietly_and_nothing_is_forwarded(
    stubs: Stubs, caplog: pytest.LogCaptureFixture, messages: list[dict[str, Any]]
) -> None:
    app = create_app(gateway_settings(stubs))
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    errors_before = requests_counted("/v1/users", 500)
    closed_before = requests_counted("/v1/users", 499)
    async with app.router.lifespan_context(app):
        with caplog.at_level(logging.INFO):
            await app(scope_for("/v1/users", 64), receiving(*messages), send)

    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 499
    assert stubs.received == []
    assert requests_counted("/v1/users", 500) == errors_before
    assert requests_counted("/v1/users", 499) == closed_before + 1
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
