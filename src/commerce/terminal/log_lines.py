"""A JSON log line (the format of commerce.kernel.logging) as one line a person reads:

``12:00:01.250 product  INFO  GET /v1/products/p-1 200 3.1ms  req=3f2a9c1b``

then the extra fields as ``key=value``, and an exception's traceback indented below it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commerce.terminal.colour import Painter, Style

SERVICE_WIDTH = 8
REQUEST_ID_LENGTH = 8  # enough to tell requests apart on one screen
_TIME_WIDTH = len("12:00:01.250")

_LEVELS = {
    "debug": ("DEBUG", Style.DIM),
    "info": ("INFO", Style.GREEN),
    "warning": ("WARN", Style.YELLOW),
    "error": ("ERROR", Style.RED),
    "critical": ("CRIT", Style.BOLD_RED),
}
_SERVICES = {
    "gateway": Style.BRIGHT_MAGENTA,
    "user": Style.BRIGHT_CYAN,
    "auth": Style.BRIGHT_BLUE,
    "product": Style.CYAN,
    "order": Style.MAGENTA,
    "payment": Style.BLUE,
    "cart": Style.GREEN,
    "platform": Style.BOLD,
}
# Said by the head of the line, or too long to help on a terminal (the JSON keeps them).
_SHOWN_ELSEWHERE = frozenset(
    {"ts", "level", "service", "logger", "request_id", "message", "trace_id", "span_id"}
    | {"exc_type", "exc"}
)
# The access log's fields: rendered as the line's message, so not again as key=value.
_ACCESS = frozenset({"method", "route", "path", "status", "duration_ms"})

# A log line carries request paths and messages a client chose: escape sequences in them
# must not reach the terminal (they can move the cursor, retitle the window, ...).
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS |= {ord("\t"): "\t", ord("\n"): "\\n", ord("\r"): "\\r"}


def printable(text: str) -> str:
    return text if text.isprintable() else text.translate(_CONTROLS)


def render_line(line: str, service: str, paint: Painter) -> str:
    """A line one of ``service``'s processes wrote: rendered if it is a JSON log record, as it
    came otherwise (a crash before logging was set up, say)."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return f"{' ' * _TIME_WIDTH} {_service(service, paint)} {printable(line)}"
    record.setdefault("service", service)
    return render_record(record, paint)


def render_record(record: Mapping[str, Any], paint: Painter) -> str:
    level, level_style = _LEVELS.get(str(record.get("level")), ("?", None))
    head = " ".join(
        (
            paint(_clock(record.get("ts")), Style.DIM),
            _service(str(record.get("service", "?")), paint),
            paint(f"{level:<5}", level_style),
        )
    )
    is_access = record.keys() >= _ACCESS and isinstance(record["status"], int)
    message = _access(record, paint) if is_access else printable(str(record.get("message", "")))
    hidden = _SHOWN_ELSEWHERE | _ACCESS if is_access else _SHOWN_ELSEWHERE
    fields = [f"{key}={_value(value)}" for key, value in record.items() if key not in hidden]
    if record.get("request_id"):
        fields.append(f"req={printable(str(record['request_id'])[:REQUEST_ID_LENGTH])}")
    line = f"{head} {message}"
    if fields:
        line += "  " + paint(" ".join(fields), Style.DIM)
    for traceback_line in str(record.get("exc") or "").splitlines():
        line += "\n    " + paint(printable(traceback_line), Style.RED)
    return line


def _service(name: str, paint: Painter) -> str:
    return paint(f"{printable(name):<{SERVICE_WIDTH}}", _SERVICES.get(name))


def _clock(timestamp: object) -> str:
    """The local time of day, to the millisecond (the JSON keeps the date and the UTC)."""
    try:
        moment = datetime.fromisoformat(str(timestamp)).astimezone()
    except ValueError:
        return " " * _TIME_WIDTH
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _access(record: Mapping[str, Any], paint: Painter) -> str:
    status = record["status"]
    style = Style.GREEN if status < 400 else Style.YELLOW if status < 500 else Style.RED
    method, path = printable(str(record["method"])), printable(str(record["path"]))
    return f"{method} {path} {paint(str(status), style)} {record['duration_ms']}ms"


def _value(value: object) -> str:
    """As it is when it is one word; quoted (JSON) when it has spaces or is not a string."""
    if isinstance(value, str) and value and " " not in value:
        return printable(value)
    return printable(json.dumps(value, ensure_ascii=False, default=str))
