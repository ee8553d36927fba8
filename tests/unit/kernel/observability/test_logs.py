"""JSON log lines: the fields every line has, the access log, trace ids, no secrets."""

from __future__ import annotations

import logging
import uuid

from opentelemetry.sdk.trace import TracerProvider

from tests.unit.kernel.observability.support import captured_logs, client_for, widget_app

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"
JWT = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz"


async def test_one_access_line_per_request_with_route_status_and_ids() -> None:
    prefix = "/a" + uuid.uuid4().hex[:8]
    with captured_logs("product") as logs:
        async with client_for(widget_app(prefix)) as client:
            response = await client.get(
                prefix + "/widgets/9",
                headers={"traceparent": TRACEPARENT, "X-Request-Id": "req-1"},
            )
    assert response.status_code == 200
    access = [entry for entry in logs.entries() if entry["logger"] == "commerce.access"]
    assert len(access) == 1
    (line,) = access
    assert line["service"] == "product"
    assert line["level"] == "info"
    assert line["request_id"] == "req-1"
    assert line["trace_id"] == TRACE_ID
    assert line["method"] == "GET"
    assert line["route"] == prefix + "/widgets/{widget_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert {"ts", "message", "span_id"} <= line.keys()


async def test_access_log_never_has_headers_or_bodies() -> None:
    prefix = "/b" + uuid.uuid4().hex[:8]
    with captured_logs() as logs:
        async with client_for(widget_app(prefix)) as client:
            await client.post(
                prefix + "/widgets",
                json={"password": "correct horse battery staple", "refresh_token": "r-123456"},
                headers={"Authorization": f"Bearer {JWT}", "Cookie": "session=s3cr3t"},
            )
    assert logs.entries(), "nothing was logged"
    for secret in ("correct horse", "r-123456", JWT, "s3cr3t", "Bearer"):
        assert secret not in logs.text


async def test_unhandled_error_line_has_request_and_trace_ids_and_no_secret() -> None:
    prefix = "/c" + uuid.uuid4().hex[:8]
    with captured_logs() as logs:
        async with client_for(widget_app(prefix)) as client:
            response = await client.get(prefix + "/boom", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 500
    (error,) = [entry for entry in logs.entries() if entry["level"] == "error"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["trace_id"] == TRACE_ID
    assert error["exc_type"] == "RuntimeError"
    assert "hunter2" not in logs.text


def test_lines_outside_a_span_have_no_trace_id_and_inside_one_do() -> None:
    tracer = TracerProvider().get_tracer("test")
    with captured_logs("order") as logs:
        logging.getLogger("commerce.test").info("before")
        with tracer.start_as_current_span("handle") as span:
            logging.getLogger("commerce.test").info("during")
    before, during = logs.entries()
    assert "trace_id" not in before
    assert during["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert during["span_id"] == format(span.get_span_context().span_id, "016x")
    assert before["service"] == "order" and before["request_id"] is None


def test_extra_fields_become_keys_and_secret_ones_are_hidden() -> None:
    with captured_logs() as logs:
        logging.getLogger("commerce.test").warning(
            "issued %s",
            {"access_token": JWT, "email": "a@example.com"},
            extra={"user_id": "u-1", "refresh_token": "opaque-refresh-value"},
        )
    (line,) = logs.entries()
    assert line["user_id"] == "u-1"
    assert line["refresh_token"] == "[REDACTED]"
    assert line["level"] == "warning"
    assert "a@example.com" in line["message"]
    assert JWT not in logs.text and "opaque-refresh-value" not in logs.text


def test_exception_text_is_scrubbed() -> None:
    with captured_logs() as logs:
        try:
            raise ValueError(f"bad credentials {{'password': 'p4ss-word'}} with Bearer {JWT}")
        except ValueError:
            logging.getLogger("commerce.test").exception("login failed")
    (line,) = logs.entries()
    assert line["exc_type"] == "ValueError"
    assert "p4ss-word" not in logs.text and JWT not in logs.text
    assert "[REDACTED]" in line["exc"]
