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
