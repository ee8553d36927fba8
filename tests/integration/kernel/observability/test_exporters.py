"""Spans leave the process in the format the settings name: Zipkin v2 JSON or OTLP/HTTP."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from commerce.kernel.observability.tracing import build_tracer_provider
from commerce.kernel.settings import ServiceSettings
from tests.integration.kernel.observability.collector import running_collector

pytestmark = pytest.mark.integration


def test_zipkin_exporter_posts_v2_json_spans_to_the_endpoint() -> None:
    with running_collector() as collector:
        settings = ServiceSettings(
            service_name="order",
            tracing_sample_ratio=1.0,
            tracing_exporter="zipkin",
            zipkin_endpoint=collector.url + "/api/v2/spans",
        )
        provider = build_tracer_provider(settings)
        with provider.get_tracer("test").start_as_current_span("place order") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
        assert provider.force_flush(5_000)
        provider.shutdown()
    (request,) = collector.requests
    assert request.path == "/api/v2/spans"
    assert request.headers["content-type"].startswith("application/json")
    (exported,) = json.loads(request.body)
    assert exported["traceId"] == trace_id
    assert exported["name"] == "place order"
    assert exported["localEndpoint"]["serviceName"] == "order"


def test_otlp_exporter_posts_protobuf_spans_to_the_endpoint() -> None:
    with running_collector(status=200) as collector:
        settings = ServiceSettings(
            service_name="product",
            tracing_sample_ratio=1.0,
            tracing_exporter="otlp",
            otlp_endpoint=collector.url + "/v1/traces",
        )
        provider = build_tracer_provider(settings)
        with provider.get_tracer("test").start_as_current_span("reserve stock") as span:
            trace_id = span.get_span_context().trace_id.to_bytes(16, "big")
        assert provider.force_flush(5_000)
        provider.shutdown()
    (request,) = collector.requests
    assert request.path == "/v1/traces"
    assert request.headers["content-type"] == "application/x-protobuf"
    message = ExportTraceServiceRequest.FromString(request.body)
    (resource_spans,) = message.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "product"
    (exported,) = resource_spans.scope_spans[0].spans
    assert exported.trace_id == trace_id and exported.name == "reserve stock"


def test_no_exporter_sends_nothing() -> None:
    with running_collector() as collector:
        provider = build_tracer_provider(
            ServiceSettings(zipkin_endpoint=collector.url, tracing_sample_ratio=1.0)
        )
        with provider.get_tracer("test").start_as_current_span("quiet"):
            pass
        provider.force_flush(1_000)
        provider.shutdown()
    assert collector.requests == []
