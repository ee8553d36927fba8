"""configure_logging: lines are formatted in the caller's context, written by another thread."""

from __future__ import annotations

import io
import json
import logging
import threading

from commerce.kernel import logging as kernel_logging
from commerce.kernel.http.request_id import current_request_id


class RecordingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writer_threads: set[str] = set()

    def write(self, text: str) -> int:
        self.writer_threads.add(threading.current_thread().name)
        return super().write(text)


def test_lines_are_written_off_the_calling_thread_with_context_and_redaction() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = RecordingStream()
    token = current_request_id.set("req-7")
    try:
        kernel_logging.configure_logging("svc", "info", stream=stream)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("t").exception("login failed for password=%s", "hunter2")
        kernel_logging._stop_listener()  # drains the queue
    finally:
        current_request_id.reset(token)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    entry = json.loads(stream.getvalue().strip())
    assert entry["service"] == "svc"
    assert entry["request_id"] == "req-7"
    assert entry["exc_type"] == "ValueError" and "boom" in entry["exc"]
    assert "hunter2" not in stream.getvalue()
    assert threading.current_thread().name not in stream.writer_threads
