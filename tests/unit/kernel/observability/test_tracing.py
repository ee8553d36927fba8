"""Server spans per request: W3C traceparent continued, route-templated names, errors marked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from commerce.kernel.observability.middleware import ServiceMiddleware
from commerce.kernel.observability.tracing import (
    build_exporter,
    build_tracer_provider,
    current_trace_ids,
)
from commerce.kernel.settings import ServiceSettings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def exported() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def traced_app(exporter: InMemorySpanExporter) -> httpx.AsyncClient:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    router = APIRouter()

    @router.get("/orders/{order_id}")
    async def read(order_id: str) -> dict[str, str | None]:
        ids = current_trace_ids()
        return {"id": order_id, "trace_id": ids[0] if ids else None}

    @router.get("/fail")
    async def fail() -> None:
        raise RuntimeError("no")

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(ServiceMiddleware, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_incoming_traceparent_is_continued_by_a_server_span(
    exported: InMemorySpanExporter,
) -> None:
    async with traced_app(exported) as client:
        response = await client.get("/orders/42", headers={"traceparent": TRACEPARENT})
    assert response.json() == {"id": "42", "trace_id": TRACE_ID}
    (span,) = exported.get_finished_spans()
    assert span.name == "GET /orders/{order_id}"
    assert span.kind is SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/orders/{order_id}"
    assert span.attributes["http.response.status_code"] == 200


async def test_without_traceparent_a_new_trace_starts(exported: InMemorySpanExporter) -> None:
    async with traced_app(exported) as client:
        first = (await client.get("/orders/1")).json()["trace_id"]
        second = (await client.get("/orders/2")).json()["trace_id"]
    assert first and second and first != second
    assert all(span.parent is None for span in exported.get_finished_spans())


async def test_a_garbled_traceparent_starts_a_new_trace(exported: InMemorySpanExporter) -> None:
    async with traced_app(exported) as client:
        body = (await client.get("/orders/1", headers={"traceparent": "00-zz-yy-01"})).json()
    assert body["trace_id"] and body["trace_id"] != TRACE_ID
    assert exported.get_finished_spans()[0].parent is None


async def test_server_errors_mark_the_span(exported: InMemorySpanExporter) -> None:
    async with traced_app(exported) as client:
        assert (await client.get("/fail")).status_code == 500
    (span,) = exported.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


def test_exporter_is_chosen_by_settings() -> None:
    assert build_exporter(ServiceSettings()) is None
    zipkin = build_exporter(ServiceSettings(tracing_exporter="zipkin"))
    otlp = build_exporter(ServiceSettings(tracing_exporter="otlp"))
    assert isinstance(zipkin, ZipkinExporter)
    assert isinstance(otlp, OTLPSpanExporter)


def test_unknown_exporter_name_is_refused() -> None:
    with pytest.raises(ValueError, match="tracing_exporter"):
        ServiceSettings(tracing_exporter="jaeger")  # type: ignore[arg-type]


def test_unsampled_traces_still_have_ids_for_the_logs() -> None:
    provider = build_tracer_provider(ServiceSettings(tracing_sample_ratio=0.0))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        assert not span.is_recording()
        ids = current_trace_ids()
    assert ids is not None and ids[0] != "0" * 32
    assert current_trace_ids() is None


def test_provider_names_the_service() -> None:
    provider = build_tracer_provider(ServiceSettings(service_name="order"))
    assert provider.resource.attributes["service.name"] == "order"


def test_with_no_exporter_no_span_is_recorded_even_under_a_sampled_parent() -> None:
    from opentelemetry import propagate

    parent = propagate.extract({"traceparent": TRACEPARENT})
    quiet = build_tracer_provider(ServiceSettings(tracing_sample_ratio=1.0)).get_tracer("t")
    with quiet.start_as_current_span("work", context=parent) as span:
        assert not span.is_recording()  # filled for nobody
        assert current_trace_ids() is not None and current_trace_ids()[0] == TRACE_ID
    exporting = build_tracer_provider(
        ServiceSettings(tracing_sample_ratio=0.0), exporter=InMemorySpanExporter()
    ).get_tracer("t")
    with exporting.start_as_current_span("work", context=parent) as span:
        assert span.is_recording()  # the caller's sampling decision is followed
