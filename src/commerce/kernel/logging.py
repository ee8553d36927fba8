"""One JSON line per log event: timestamp, level, service, request id, trace id, message.

Fields passed with ``extra={...}`` become top-level keys (the access log uses that for
method, route, status and duration). Two filters on the one handler run for every record,
whatever logger it came from: the trace filter adds the active span's ids, the redaction
filter scrubs anything that looks like a secret (see ``observability.redaction``).
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import queue
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Any

from commerce.kernel.http.request_id import current_request_id
from commerce.kernel.observability.redaction import STANDARD_ATTRIBUTES, RedactionFilter
from commerce.kernel.observability.tracing import current_trace_ids

_CORE_KEYS = frozenset({"ts", "level", "service", "logger", "request_id", "message"})
# Extras some libraries add that say nothing new (uvicorn's ANSI-coloured message copy).
_DROPPED_EXTRAS = frozenset({"color_message"})
_NOT_EXTRA = STANDARD_ATTRIBUTES | _CORE_KEYS | _DROPPED_EXTRAS


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "request_id": current_request_id.get(),
            "message": record.getMessage(),
        }
        for key in ("trace_id", "span_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _NOT_EXTRA:
                entry[key] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TraceContextFilter(logging.Filter):
    """Stamps ``trace_id``/``span_id`` of the active span (if any) on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "trace_id", None):
            ids = current_trace_ids()
            if ids is not None:
                record.trace_id, record.span_id = ids
        return True


def json_handler(service: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing redacted JSON lines with trace ids (to stderr by default)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(TraceContextFilter())
    handler.addFilter(RedactionFilter())
    return handler


class FormattingQueueHandler(QueueHandler):
    """Filters and formats where the record is made (so the request id, trace ids and the
    redaction see the caller's context) and leaves only the write to a background thread:
    a slow log pipe then never stalls the event loop."""

    def __init__(self, inner: logging.Handler, log_queue: queue.SimpleQueue[Any]) -> None:
        super().__init__(log_queue)
        self.filters = list(inner.filters)
        self.formatter = inner.formatter

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        line = self.format(record)
        prepared = copy.copy(record)
        prepared.msg, prepared.args = line, None
        prepared.exc_info = prepared.exc_text = prepared.stack_info = None
        return prepared


_listener: QueueListener | None = None


def _stop_listener() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()  # drains what is queued
        _listener = None


def configure_logging(service: str, level: str = "info", stream: IO[str] | None = None) -> None:
    """JSON lines on stderr (or ``stream``), written by a background thread."""
    global _listener
    _stop_listener()
    log_queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
    writer = logging.StreamHandler(stream)
    writer.setFormatter(logging.Formatter("%(message)s"))
    _listener = QueueListener(log_queue, writer)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [FormattingQueueHandler(json_handler(service), log_queue)]
    root.setLevel(level.upper())
    # uvicorn's access log repeats what our request log says, in another format.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every call at info; the callee's access line and the client span say more.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


atexit.register(_stop_listener)
