"""What the gateway tells an upstream about the trace: a client span's context when the trace
is recorded, the server span's own context (no span made) when it is not."""

from __future__ import annotations

import aiohttp
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.trace import SpanKind

from commerce.gateway.upstream import Forwarder
from tests.integration.gateway.stubs import Stubs


async def forwarded_traceparent(
    stubs: Stubs, sampler: Sampler
) -> tuple[str, str, InMemorySpanExporter]:
    """(the traceparent product received, the server span's ids, the recorded spans)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    async with aiohttp.ClientSession() as session:
        forwarder = Forwarder(session, stubs.urls, {"product": aiohttp.ClientTimeout(total=5)})
        forwarder._tracer = tracer  # the process's provider is global; this one is the test's
        with tracer.start_as_current_span("GET", kind=SpanKind.SERVER) as server:
            reply = await forwarder.send("product", "GET", b"/v1/products", [], None)
            assert not isinstance(reply.body, bytes)
            async for _ in reply.body.chunks():
                pass
        context = server.get_span_context()
    ids = f"{context.trace_id:032x}-{context.span_id:016x}"
    (received,) = [value for name, value in stubs.last["headers"] if name.lower() == "traceparent"]
    return received, ids, exporter


async def test_an_unsampled_trace_goes_on_with_the_server_spans_context(stubs: Stubs) -> None:
    received, server_ids, exporter = await forwarded_traceparent(stubs, ALWAYS_OFF)

    _version, trace_id, parent_id, flags = received.split("-")
    assert f"{trace_id}-{parent_id}" == server_ids  # the same trace, the server span as parent
    assert not int(flags, 16) & 1  # not sampled
    assert exporter.get_finished_spans() == ()


async def test_a_recorded_trace_gets_a_client_span_the_upstream_continues(stubs: Stubs) -> None:
    received, server_ids, exporter = await forwarded_traceparent(stubs, ALWAYS_ON)

    trace_id = server_ids.split("-")[0]
    (client,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    _version, sent_trace_id, parent_id, flags = received.split("-")
    assert (sent_trace_id, parent_id) == (trace_id, f"{client.context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled
