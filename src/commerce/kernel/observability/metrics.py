"""HTTP request metrics and the ``/metrics`` endpoint (Prometheus text format).

Metrics live in the process's default registry: every service is its own process, so each
``/metrics`` shows that process only (plus the client library's process and GC metrics).
Labels are bounded (docs/adr/0080): the route *template* (``/v1/orders/{order_id}``), never
the raw path; methods outside the standard set count as ``OTHER``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

UNMATCHED_ROUTE = "unmatched"
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Service latencies are milliseconds to a few seconds; 11 buckets keep the series count low.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "commerce_http_requests",
    "HTTP requests served, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "commerce_http_request_duration_seconds",
    "Time from request received to response sent, by method, route template and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)

_children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}


def normalized_method(method: str) -> str:
    return method if method in STANDARD_METHODS else "OTHER"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one served request and its latency (cheap: label children are cached)."""
    key = (normalized_method(method), route, str(status))
    children = _children.get(key)
    if children is None:
        children = (HTTP_REQUESTS.labels(*key), HTTP_REQUEST_DURATION.labels(*key))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def metrics_router(registry: CollectorRegistry = REGISTRY) -> APIRouter:
    """``GET /metrics``: the registry in Prometheus text exposition format."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    def metrics() -> Response:
        # A plain def: rendering is synchronous work, so it runs off the event loop.
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
