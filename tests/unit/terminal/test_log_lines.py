from __future__ import annotations

import json
from datetime import datetime

from commerce.terminal.colour import Painter
from commerce.terminal.log_lines import render_line

PLAIN, COLOURED = Painter(enabled=False), Painter(enabled=True)
TS = "2026-12-06T20:55:08.600+00:00"
CLOCK = datetime.fromisoformat(TS).astimezone().strftime("%H:%M:%S.600")


def log_line(**fields: object) -> str:
    base = {"ts": TS, "level": "info", "service": "order", "logger": "commerce.order"}
    return json.dumps({**base, "request_id": None, **fields})


def test_a_record_reads_as_time_service_level_message_and_its_fields() -> None:
    line = log_line(message="order placed", order_id="o-1", lines=2, reason="two words")
    assert render_line(line, "order", PLAIN) == (
        f'{CLOCK} order    INFO  order placed  order_id=o-1 lines=2 reason="two words"'
    )


def test_an_access_line_shows_the_request_and_a_short_request_id() -> None:
    line = log_line(
        message="GET /v1/orders/{order_id} 200 3.1ms",
        method="GET",
        route="/v1/orders/{order_id}",
        path="/v1/orders/o-1",
        status=200,
        duration_ms=3.12,
        request_id="3f2a9c1b7e0d4c55",
        trace_id="ab" * 16,
    )
    assert render_line(line, "order", PLAIN) == (
        f"{CLOCK} order    INFO  GET /v1/orders/o-1 200 3.12ms  req=3f2a9c1b"
    )


def test_colour_marks_the_level_the_service_and_a_failing_status() -> None:
    fields = {"method": "GET", "route": "/", "path": "/", "status": 503, "duration_ms": 1.0}
    line = log_line(level="error", message="GET / 503 1.0ms", **fields)
    rendered = render_line(line, "order", COLOURED)
    assert "\x1b[31mERROR\x1b[0m" in rendered
    assert "\x1b[35morder   \x1b[0m" in rendered
    assert "\x1b[31m503\x1b[0m" in rendered
    assert render_line(line, "order", PLAIN) == f"{CLOCK} order    ERROR GET / 503 1.0ms"


def test_a_traceback_is_indented_under_its_line() -> None:
    exc = "Traceback (most recent call last):\n  File x\nValueError: no"
    rendered = render_line(
        log_line(level="error", message="boom", exc_type="ValueError", exc=exc), "order", PLAIN
    )
    assert rendered.splitlines() == [
        f"{CLOCK} order    ERROR boom",
        "    Traceback (most recent call last):",
        "      File x",
        "    ValueError: no",
    ]


def test_escape_sequences_a_client_sent_never_reach_the_terminal() -> None:
    line = log_line(
        message="not found", method="GET", route="/", path="/\x1b[2J\x07", status=404, duration_ms=1
    )
    rendered = render_line(line, "gateway", COLOURED)
    assert "\x1b[2J" not in rendered and "\x07" not in rendered
    assert "/\\x1b[2J\\x07" in rendered
    retitled = render_line(log_line(message="hi \x1b]0;pwned\x07"), "user", COLOURED)
    assert "\x1b]" not in retitled and "hi \\x1b]0;pwned\\x07" in retitled


def test_a_line_that_is_not_json_is_shown_as_it_came_under_its_service() -> None:
    rendered = render_line("Traceback (most recent call last):", "auth", PLAIN)
    assert rendered == " " * 12 + " auth     Traceback (most recent call last):"
