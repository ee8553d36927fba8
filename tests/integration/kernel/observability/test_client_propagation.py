"""Outgoing httpx calls get a client span and carry its W3C traceparent to the callee."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.integration.kernel.observability.collector import running_collector

pytestmark = pytest.mark.integration


@pytest.fixture
def traced() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield provider, exporter
    finally:
        instrumentor.uninstrument()


async def test_async_client_call_is_a_child_span_and_sends_traceparent(
    traced: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = traced
    tracer = provider.get_tracer("test")
    with running_collector(status=200) as callee, tracer.start_as_current_span("call") as parent:
        async with httpx.AsyncClient() as client:
            # The gateway forwards what the client sent; ours must win over a stale one.
            stale = "00-11111111111111111111111111111111-2222222222222222-01"
            await client.get(callee.url + "/v1/orders/1", headers={"traceparent": stale})
    trace_id = format(parent.get_span_context().trace_id, "032x")
    (received,) = callee.requests
    version, sent_trace_id, sent_parent_id, flags = received.headers["traceparent"].split("-")
    assert (version, sent_trace_id) == ("00", trace_id)
    assert int(flags, 16) & 1  # sampled
    client_span = next(s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT)
    assert format(client_span.context.span_id, "016x") == sent_parent_id
    assert client_span.parent is not None
    assert client_span.parent.span_id == parent.get_span_context().span_id


async def test_a_peer_client_carries_the_trace_without_instrumentation_or_export() -> None:
    from commerce.kernel.http.peer_client import peer_client
    from commerce.kernel.observability.tracing import build_tracer_provider
    from commerce.kernel.settings import ServiceSettings

    tracer = build_tracer_provider(ServiceSettings()).get_tracer("test")  # nothing exported
    with running_collector(status=200) as callee, tracer.start_as_current_span("call") as span:
        async with peer_client(callee.url, 5.0) as client:
            await client.get("/internal/v1/users/1")
    (received,) = callee.requests
    _, sent_trace_id, sent_parent_id, _ = received.headers["traceparent"].split("-")
    assert sent_trace_id == format(span.get_span_context().trace_id, "032x")
    assert sent_parent_id == format(span.get_span_context().span_id, "016x")
