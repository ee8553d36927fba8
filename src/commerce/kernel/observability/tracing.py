"""The process's OpenTelemetry tracer provider, chosen by settings (docs/adr/0081).

A real SDK provider is installed even when nothing is exported, so every request and
consumed message has a trace id that the JSON logs can carry. W3C ``traceparent`` is the
propagation format (the API's default propagator).
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased

from commerce.kernel.settings import ServiceSettings

log = logging.getLogger("commerce.tracing")
# Off only when the process was configured with tracing_enabled=false: then requests make no
# span at all (no per-request work); otherwise spans are made, and sampled by the ratio.
_enabled = True


def tracing_enabled() -> bool:
    return _enabled


def build_exporter(settings: ServiceSettings) -> SpanExporter | None:
    """The span exporter named by ``tracing_exporter``; ``None`` for ``"none"``."""
    if settings.tracing_exporter == "zipkin":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        return ZipkinExporter(endpoint=settings.zipkin_endpoint)
    if settings.tracing_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otlp_endpoint)
    return None


def build_tracer_provider(
    settings: ServiceSettings, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A provider for this service: its name as resource, parent-based ratio sampling, or,
    when no exporter takes the spans, none recorded (they would be filled for nobody; their
    ids still reach the logs and the next service)."""
    exporter = exporter if exporter is not None else build_exporter(settings)
    sampler = ParentBased(TraceIdRatioBased(settings.tracing_sample_ratio))
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.service_name}),
        sampler=sampler if exporter is not None else ALWAYS_OFF,
    )
    if exporter is not None:
        # Batching keeps export off the request path; a dead collector costs dropped spans,
        # never slower requests.
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(settings: ServiceSettings) -> TracerProvider:
    """Install the provider globally and trace every outgoing httpx call (client spans
    with ``traceparent`` injected). Call once per process, before serving, after the app
    was built: only a process whose app loaded httpx (auth's and cart's peer clients) and
    exports spans pays for the instrumentation (about 7 MB, and a wrapper per call)."""
    global _enabled
    _enabled = settings.tracing_enabled
    provider = build_tracer_provider(settings)
    trace.set_tracer_provider(provider)
    exporting = settings.tracing_enabled and settings.tracing_exporter != "none"
    if exporting and "httpx" in sys.modules:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        instrumentor = HTTPXClientInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    log.info(
        "tracing ready",
        extra={
            "exporter": settings.tracing_exporter,
            "sample_ratio": settings.tracing_sample_ratio,
        },
    )
    return provider


def current_trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the active span as lowercase hex, or ``None`` outside one."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
