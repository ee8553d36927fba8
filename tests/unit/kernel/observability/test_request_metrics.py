"""Request metrics: labelled by route template and status, exposed at /metrics."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from commerce.kernel.observability.metrics import UNMATCHED_ROUTE
from tests.identity import VERIFIER
from tests.unit.kernel.observability.support import client_for, widget_app


def requests_total(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("commerce_http_requests_total", labels) or 0.0


def latency_count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("commerce_http_request_duration_seconds_count", labels) or 0.0


def unique_prefix() -> str:
    return "/t" + uuid.uuid4().hex[:8]


async def test_requests_are_counted_by_route_template_not_raw_path() -> None:
    prefix = unique_prefix()
    template = prefix + "/widgets/{widget_id}"
    async with client_for(widget_app(prefix)) as client:
        for widget_id in ("1", "2", "3"):
            assert (await client.get(f"{prefix}/widgets/{widget_id}")).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert requests_total("GET", template, "200") == 3
    assert latency_count("GET", template, "200") == 3
    assert f"{prefix}/widgets/1" not in metrics
    assert f'route="{template}"' in metrics


async def test_status_codes_are_labels_including_errors_and_unmatched_paths() -> None:
    prefix = unique_prefix()
    before_unmatched = requests_total("GET", UNMATCHED_ROUTE, "404")
    async with client_for(widget_app(prefix)) as client:
        malformed = await client.post(
            prefix + "/widgets", content=b"{", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400
        assert (await client.get(prefix + "/boom")).status_code == 500
        assert (await client.get(prefix + "/no/such/" + uuid.uuid4().hex)).status_code == 404
    assert requests_total("POST", prefix + "/widgets", "400") == 1
    assert requests_total("GET", prefix + "/boom", "500") == 1
    assert requests_total("GET", UNMATCHED_ROUTE, "404") == before_unmatched + 1


async def test_framework_routes_are_labelled_by_their_path_too() -> None:
    before = requests_total("GET", "/openapi.json", "200")
    async with client_for(widget_app(unique_prefix())) as client:
        assert (await client.get("/openapi.json")).status_code == 200
    assert requests_total("GET", "/openapi.json", "200") == before + 1


async def test_unknown_methods_share_one_label_value() -> None:
    prefix = unique_prefix()
    async with client_for(widget_app(prefix)) as client:
        response = await client.request("BREW", prefix + "/widgets/1")
    assert response.status_code == 405
    assert requests_total("OTHER", prefix + "/widgets/{widget_id}", "405") == 1
    assert requests_total("BREW", prefix + "/widgets/{widget_id}", "405") == 0


async def test_metrics_endpoint_is_prometheus_text_that_the_parser_reads() -> None:
    prefix = unique_prefix()
    async with client_for(widget_app(prefix)) as client:
        await client.get(prefix + "/widgets/7")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    assert families["commerce_http_requests"].type == "counter"
    assert families["commerce_http_request_duration_seconds"].type == "histogram"
    served = [
        sample
        for sample in families["commerce_http_requests"].samples
        if sample.labels.get("route") == prefix + "/widgets/{widget_id}"
    ]
    assert [sample.value for sample in served] == [1.0]


async def test_platform_endpoints_win_over_a_catch_all_service_route() -> None:
    from fastapi import APIRouter

    from commerce.kernel.http.app import create_service_app

    router = APIRouter()

    @router.get("/{path:path}")
    async def proxy(path: str) -> dict[str, str]:
        return {"proxied": path}

    app = create_service_app(proofs=VERIFIER, title="proxy", routers=[router], readiness={})
    async with client_for(app) as client:
        metrics = await client.get("/metrics")
        health = await client.get("/healthz")
        proxied = await client.get("/v1/anything")
    assert "commerce_http_requests_total" in metrics.text
    assert health.json() == {"status": "ok"}
    assert proxied.json() == {"proxied": "v1/anything"}
