"""The two things ``commerce up`` can show: JSON lines, or readable lines and a status table.

JSON unless stdout is a terminal; ``--log-format`` or ``COMMERCE_LOG_FORMAT`` (``auto``,
``pretty``, ``json``) decides otherwise.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import IO, Any, Literal

from commerce.platform import ChildOutputReader, Console, ProcessStatus
from commerce.terminal import LOG_FORMAT_ENV, LOG_FORMATS
from commerce.terminal.colour import Painter, colour_wanted
from commerce.terminal.log_lines import printable, render_line, render_record
from commerce.terminal.status_table import render_status_table

DRAIN_TIMEOUT_SECONDS = 5.0


def chosen_log_format(
    requested: str | None, environ: Mapping[str, str], stdout_is_terminal: bool
) -> Literal["pretty", "json"]:
    """The flag, else the environment, else ``auto``: pretty on a terminal, JSON elsewhere."""
    wanted = requested or environ.get(LOG_FORMAT_ENV) or "auto"
    if wanted == "auto":
        return "pretty" if stdout_is_terminal else "json"
    if wanted == "pretty":
        return "pretty"
    if wanted == "json":
        return "json"
    raise ValueError(f"the log format is one of {', '.join(LOG_FORMATS)}, not {wanted!r}")


def console_for(
    requested: str | None, environ: Mapping[str, str], stdout: IO[str], stderr: IO[str]
) -> Console:
    if chosen_log_format(requested, environ, stdout.isatty()) == "json":
        return JsonConsole(stderr)
    return PrettyConsole(stdout, Painter(colour_wanted(stdout, environ)))


class JsonConsole:
    """The children write their JSON lines to our stdout and stderr themselves; ours join them
    on stderr, in their shape (service ``platform``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def reader(self) -> ChildOutputReader | None:
        return None

    def status(self, processes: Sequence[ProcessStatus]) -> None:
        self._write("info", "processes", processes=[asdict(status) for status in processes])

    def say(self, message: str, *, problem: bool = False) -> None:
        self._write("error" if problem else "info", message)

    def drain(self) -> None:
        pass  # nothing of theirs passes through us

    def _write(self, level: str, message: str, **fields: Any) -> None:
        entry = {**_supervisor_record(level, message), **fields}
        self._stream.write(json.dumps(entry) + "\n")
        self._stream.flush()


class PrettyConsole:
    """Reads every child's output from a pipe, a thread each, and writes it rendered; lines
    from different children never interleave within a line."""

    def __init__(self, stream: IO[str], paint: Painter) -> None:
        self._stream = stream
        self._paint = paint
        self._lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    def reader(self) -> ChildOutputReader | None:
        return self._follow

    def status(self, processes: Sequence[ProcessStatus]) -> None:
        self._write(render_status_table(processes, self._paint))

    def say(self, message: str, *, problem: bool = False) -> None:
        record = _supervisor_record("error" if problem else "info", message)
        self._write(render_record(record, self._paint))

    def drain(self) -> None:
        for thread in self._readers:
            thread.join(DRAIN_TIMEOUT_SECONDS)
        self._readers.clear()

    def _follow(self, name: str, output: IO[bytes]) -> None:
        thread = threading.Thread(
            target=self._relay, args=(name, output), name=f"output-of-{name}", daemon=True
        )
        thread.start()
        self._readers.append(thread)

    def _relay(self, name: str, output: IO[bytes]) -> None:
        # Until the child and any worker it started have closed the pipe; a reader that
        # stopped early would leave them blocked on a full pipe.
        with output:
            for raw in output:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                try:
                    rendered = render_line(line, name, self._paint)
                except Exception:  # a line this cannot render is still shown, as it came
                    rendered = printable(line)
                self._write(rendered)

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()


def _supervisor_record(level: str, message: str) -> dict[str, Any]:
    """A record of the supervisor's own, with the keys of commerce.kernel.logging's."""
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "service": "platform",
        "logger": "commerce.platform",
        "request_id": None,
        "message": message,
    }
