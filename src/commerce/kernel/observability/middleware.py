"""Per request, in one pure ASGI middleware: a server span, the request metrics and one
access-log line. One wrapper keeps the hot path cheap (no per-request task, one ``send``
hook); the route template is read after routing, from ``scope["route"]``."""

from __future__ import annotations

import logging
from time import perf_counter

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce.kernel.observability.metrics import UNMATCHED_ROUTE, observe_request

access_log = logging.getLogger("commerce.access")
# Probes and scrapes arrive every few seconds; they still count in metrics but log at debug.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``unmatched`` (never the raw path)."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    # Plain Starlette routes (/openapi.json, /docs) leave only their endpoint in the scope
    # on newer FastAPI routers: find the route by it (rare requests, a short list).
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for route in getattr(scope.get("app"), "routes", ()):
            if getattr(route, "endpoint", None) is endpoint:
                return str(route.path)
    return UNMATCHED_ROUTE


class RequestTelemetryMiddleware:
    def __init__(self, app: ASGIApp, tracer_provider: TracerProvider | None = None) -> None:
        self.app = app
        # A proxy until the process installs its provider (run_service), then the real one.
        self.tracer = trace.get_tracer("commerce.http", tracer_provider=tracer_provider)
        self.propagated = {field.encode() for field in propagate.get_global_textmap().fields}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        method: str = scope["method"]
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in self.propagated
        }
        parent = propagate.extract(carrier) if carrier else None
        span = self.tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except Exception as error:
            status = 500
            span.record_exception(error)
            raise
        finally:
            seconds = perf_counter() - started
            route = route_template(scope)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            observe_request(method, route, status, seconds)
            access_log.log(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                "%s %s %s %.1fms",
                method,
                route,
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            span.end()
            context.detach(token)
