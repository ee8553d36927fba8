from __future__ import annotations

import io
import json

import pytest

from commerce.platform import ProcessStatus
from commerce.terminal.colour import Painter
from commerce.terminal.consoles import JsonConsole, PrettyConsole, chosen_log_format, console_for

READY = [ProcessStatus("gateway", "http://127.0.0.1:8000", 4100, "ready")]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("flag", "environ", "on_terminal", "chosen"),
    [
        (None, {}, True, "pretty"),
        (None, {}, False, "json"),  # a file, a pipe, a CI log
        ("json", {}, True, "json"),
        (None, {"COMMERCE_LOG_FORMAT": "json"}, True, "json"),
        ("pretty", {"COMMERCE_LOG_FORMAT": "json"}, False, "pretty"),  # the flag wins
        ("auto", {"COMMERCE_LOG_FORMAT": "json"}, True, "pretty"),
    ],
)
def test_json_unless_on_a_terminal_or_asked_otherwise(
    flag: str | None, environ: dict[str, str], on_terminal: bool, chosen: str
) -> None:
    assert chosen_log_format(flag, environ, on_terminal) == chosen


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="auto, pretty, json"):
        chosen_log_format(None, {"COMMERCE_LOG_FORMAT": "yaml"}, True)


def test_the_supervisor_writes_json_when_stdout_is_not_a_terminal() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    console = console_for(None, {}, stdout, stderr)
    assert isinstance(console, JsonConsole)
    assert console.reader() is None  # the children write their JSON lines themselves
    console.status(READY)
    console.say("gateway exited unexpectedly", problem=True)
    status, problem = (json.loads(line) for line in stderr.getvalue().splitlines())
    assert status["service"] == "platform" and status["processes"][0]["pid"] == 4100
    assert problem["level"] == "error" and problem["message"] == "gateway exited unexpectedly"
    assert stdout.getvalue() == ""


def test_on_a_terminal_it_writes_readable_lines_in_colour_unless_no_color() -> None:
    coloured, plain = Terminal(), Terminal()
    console_for(None, {}, coloured, io.StringIO()).say("Ready.")
    console_for(None, {"NO_COLOR": "1"}, plain, io.StringIO()).say("Ready.")
    assert "\x1b[1mplatform\x1b[0m" in coloured.getvalue()
    assert plain.getvalue().endswith(" platform INFO  Ready.\n")
    assert "\x1b" not in plain.getvalue()


def test_the_readable_console_relays_every_line_of_a_child_until_it_ends() -> None:
    stream = io.StringIO()
    console = PrettyConsole(stream, Painter(enabled=False))
    reader = console.reader()
    assert reader is not None
    record = {"ts": "2026-12-06T20:55:08.600+00:00", "level": "warning", "service": "auth"}
    output = io.BytesIO((json.dumps({**record, "message": "slow"}) + "\nnot json\n").encode())
    reader("auth", output)
    console.drain()
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" auth     WARN  slow")
    assert second.endswith(" auth     not json")
    assert output.closed


def test_the_readable_console_shows_the_status_table() -> None:
    stream = io.StringIO()
    PrettyConsole(stream, Painter(enabled=False)).status(READY)
    assert stream.getvalue().splitlines()[1].split() == [
        "gateway",
        "http://127.0.0.1:8000",
        "4100",
        "ready",
    ]
