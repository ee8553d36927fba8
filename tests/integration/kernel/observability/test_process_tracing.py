"""``configure_tracing`` in a fresh process (it sets process-wide state, hence the child):
one server span per request, a client span for the outgoing httpx call, both exported to
the Zipkin endpoint the settings name."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.integration.kernel.observability.collector import running_collector

pytestmark = pytest.mark.integration

SERVICE = textwrap.dedent(
    """
    import asyncio, sys
    import httpx
    from fastapi import APIRouter
    from opentelemetry import trace
    from commerce.kernel.http.app import create_service_app
    from commerce.kernel.observability.tracing import configure_tracing
    from commerce.kernel.settings import ServiceSettings

    collector = sys.argv[1]
    settings = ServiceSettings(
        service_name="order", tracing_exporter="zipkin", zipkin_endpoint=collector + "/api/v2/spans"
    )
    router = APIRouter()

    @router.post("/v1/orders/{order_id}/pay")
    async def pay(order_id: str) -> dict[str, str]:
        async with httpx.AsyncClient() as client:
            await client.get(collector + "/upstream")
        return {"id": order_id}

    app = create_service_app(proofs=None, title="t", routers=[router], readiness={})
    provider = configure_tracing(settings)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/v1/orders/7/pay",
                headers={"traceparent": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"},
            )
            assert response.status_code == 200

    asyncio.run(main())
    provider.force_flush()
    """
)


def test_configured_process_exports_one_server_span_and_a_child_client_span() -> None:
    with running_collector() as collector:
        subprocess.run([sys.executable, "-c", SERVICE, collector.url], check=True, timeout=60)
    upstream = [r for r in collector.requests if r.path == "/upstream"]
    exported = [r for r in collector.requests if r.path == "/api/v2/spans"]
    assert len(upstream) == 1 and exported
    spans = [span for request in exported for span in json.loads(request.body)]
    assert {span["traceId"] for span in spans} == {"ab" * 16}
    (server,) = [span for span in spans if span.get("kind") == "SERVER"]
    (client,) = [span for span in spans if span.get("kind") == "CLIENT"]
    assert server["name"] == "POST /v1/orders/{order_id}/pay"
    assert server["parentId"] == "cd" * 8
    assert server["localEndpoint"]["serviceName"] == "order"
    assert client["parentId"] == server["id"]
    # The callee saw the client span as its parent: the trace goes on across the hop.
    assert upstream[0].headers["traceparent"].split("-")[1:3] == ["ab" * 16, client["id"]]
