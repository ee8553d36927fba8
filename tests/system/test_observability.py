"""Observability of the running platform: /metrics everywhere, JSON logs without secrets,
one trace id from the client's traceparent through the services and the Kafka saga."""

from __future__ import annotations

import importlib.util
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from commerce.gateway.routing import UPSTREAMS
from commerce.platform import SERVICES
from tests.integration.kernel.observability.collector import Collector, running_collector
from tests.system.accounts import PASSWORD, Account, new_account
from tests.system.conftest import RunningPlatform, start_platform

pytestmark = pytest.mark.system

PROCESSES = ("gateway", *SERVICES)
FINAL_ORDER_STATES = {"CONFIRMED", "REJECTED", "CANCELLED"}
WAIT_SECONDS = 60.0


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def wait_for(what: str, probe: Callable[[], Any]) -> Any:
    """Poll until ``probe`` returns something truthy; fail (not hang) after a generous bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


def scrape(running: RunningPlatform, process: str) -> dict[str, Metric]:
    response = httpx.get(running.metrics_url(process), timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample(running: RunningPlatform, process: str, name: str, **labels: str) -> float | None:
    """The value of one sample (``name`` as exposed, e.g. ``..._total``), None when absent."""
    for family in scrape(running, process).values():
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


def served_requests(running: RunningPlatform, process: str) -> float:
    """Requests the process counted, its own /metrics scrapes left out."""
    families = scrape(running, process)
    requests = families["commerce_http_requests"]
    assert families["commerce_http_request_duration_seconds"].type == "histogram"
    return sum(
        sample.value
        for sample in requests.samples
        if sample.name == "commerce_http_requests_total" and sample.labels["route"] != "/metrics"
    )


def log_entries(running: RunningPlatform, process: str) -> list[dict[str, Any]]:
    log_dir = running.platform.config.log_dir
    assert log_dir is not None
    entries = []
    for line in (log_dir / f"{process}.log").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def lines_with_trace(running: RunningPlatform, process: str, trace_id: str) -> list[dict]:
    return [entry for entry in log_entries(running, process) if entry.get("trace_id") == trace_id]


def order_service_present() -> bool:
    return importlib.util.find_spec("commerce.order.bootstrap") is not None


def test_metrics_parse_on_every_process_and_move_with_traffic(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    before = {process: served_requests(running, process) for process in PROCESSES}
    account = new_account(gateway, "metrics")  # gateway, user, auth (and auth -> user)
    assert gateway.get("/v1/products", params={"limit": 1}).status_code == 200
    assert gateway.get("/v1/orders", headers=account.auth).status_code == 200
    assert gateway.get("/v1/cart", headers=account.auth).status_code == 200
    # payment has no public route (Kafka only): a staff read on its own port, no proof: 401.
    assert httpx.get(running.url("payment") + "/v1/payments/x").status_code == 401
    after = {process: served_requests(running, process) for process in PROCESSES}
    for process in PROCESSES:
        assert after[process] > before[process], f"{process} counted no request"
    assert after["gateway"] - before["gateway"] >= 4


def test_each_process_exposes_the_platform_metrics_it_owns(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    account = new_account(gateway, "owned-metrics")
    failures = "commerce_auth_login_failures_total"
    before = sample(running, "auth", failures, reason="invalid_credentials") or 0.0
    wrong = gateway.post("/v1/auth/login", json={"email": account.email, "password": "x" * 9})
    assert wrong.status_code == 401
    assert sample(running, "auth", failures, reason="invalid_credentials") == before + 1
    for upstream in UPSTREAMS:
        state = sample(running, "gateway", "commerce_gateway_circuit_state", upstream=upstream)
        assert state == 0, f"circuit to {upstream} is not reported closed"
    for process in ("product", "order", "payment", "cart"):
        assert sample(running, process, "commerce_outbox_backlog_rows") is not None
        assert sample(running, process, "commerce_outbox_oldest_age_seconds") is not None
        wait_for(
            f"{process}'s consumer lag",
            lambda p=process: (
                sample(running, p, "commerce_consumer_lag_messages", group=p) is not None
            ),
        )


def test_access_lines_are_json_with_ids_and_the_trace_crosses_gateway_auth_user(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    account = new_account(gateway, "tracelog")
    trace_id, traceparent = new_traceparent()
    response = gateway.post(
        "/v1/auth/login",
        json={"email": account.email, "password": PASSWORD},
        headers={"traceparent": traceparent},
    )
    assert response.status_code == 200

    def access_line(process: str) -> dict | None:
        return next(
            (
                entry
                for entry in lines_with_trace(running, process, trace_id)
                if entry["logger"] == "commerce.access"
            ),
            None,
        )

    for process in ("gateway", "auth", "user"):
        line = wait_for(f"the {process} access line of the login", lambda p=process: access_line(p))
        assert line["service"] == process
        assert line["level"] == "info"
        assert line["request_id"]
        assert line["method"] == "POST"
        assert line["status"] == 200
        assert isinstance(line["duration_ms"], int | float)
        assert {"ts", "route", "message", "span_id"} <= line.keys()
    assert wait_for("auth access line", lambda: access_line("auth"))["route"] == "/v1/auth/login"


def test_logs_of_a_full_run_hold_no_password_or_token(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    account: Account = new_account(gateway, "secrets")
    assert gateway.get("/v1/users/me", headers=account.auth).status_code == 200
    refreshed = gateway.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    wrong = gateway.post(
        "/v1/auth/login", json={"email": account.email, "password": "wrong " + PASSWORD}
    )
    assert wrong.status_code == 401
    if order_service_present():
        product = gateway.post(
            "/v1/products",
            json={"name": f"Secret-free {uuid.uuid4().hex[:6]}", "price": 1_000, "stock": 2},
            headers=account.auth,
        )
        assert product.status_code == 201, product.text
        order = gateway.post(
            "/v1/orders",
            json={"items": [{"product_id": product.json()["id"], "quantity": 1}]},
            headers={"Authorization": f"Bearer {pair['access_token']}"},
        )
        assert order.status_code == 202, order.text
    # A reused refresh token is a logged security event: it must not log the token either.
    # Last before the sign-out: it revokes the sign-in, and with it the access tokens above.
    reused = gateway.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert reused.status_code == 401
    gateway.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})

    # The run is in the logs (so this test reads the right files)...
    wait_for(
        "the auth service's refresh line",
        lambda: any(e.get("route") == "/v1/auth/refresh" for e in log_entries(running, "auth")),
    )
    text = running.log_text()
    # ...and none of its secrets are.
    for label, secret in {
        "password": PASSWORD,
        "wrong password": "wrong " + PASSWORD,
        "access token": account.access_token,
        "refresh token": account.refresh_token,
        "refreshed access token": pair["access_token"],
        "refreshed refresh token": pair["refresh_token"],
        "token signature": account.access_token.rsplit(".", 1)[-1],
    }.items():
        assert secret not in text, f"the logs contain a {label}"


def test_a_client_trace_id_reaches_the_order_service_and_the_product_consumer(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    if not order_service_present():
        pytest.skip("the order service (commerce.order) is not in the tree yet")
    seller = new_account(gateway, "trace-seller")
    buyer = new_account(gateway, "trace-buyer")
    product = gateway.post(
        "/v1/products",
        json={"name": f"Traced {uuid.uuid4().hex[:6]}", "price": 2_500, "stock": 3},
        headers=seller.auth,
    )
    assert product.status_code == 201, product.text
    outcome = {"name": "commerce_order_saga_outcomes_total", "outcome": "confirmed"}
    confirmed_before = sample(running, "order", **outcome) or 0.0
    trace_id, traceparent = new_traceparent()
    placed = gateway.post(
        "/v1/orders",
        json={"items": [{"product_id": product.json()["id"], "quantity": 1}]},
        headers={**buyer.auth, "traceparent": traceparent},
    )
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["id"]

    def final_status() -> str | None:
        status = gateway.get(f"/v1/orders/{order_id}", headers=buyer.auth).json()["status"]
        return status if status in FINAL_ORDER_STATES else None

    assert wait_for("the order to be decided", final_status) == "CONFIRMED"
    wait_for(
        "the confirmed outcome in the order service's metrics",
        lambda: (sample(running, "order", **outcome) or 0.0) > confirmed_before,
    )
    order_lines = lines_with_trace(running, "order", trace_id)
    assert any(line["logger"] == "commerce.access" for line in order_lines)
    product_lines = wait_for(
        "a product log line in the order's trace",
        lambda: [
            line
            for line in lines_with_trace(running, "product", trace_id)
            if line["logger"] != "commerce.access"  # the consumer, not an HTTP request
        ],
    )
    assert all(line["service"] == "product" for line in product_lines)


@pytest.fixture(scope="module")
def own_platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningPlatform, Collector]]:
    """A platform of its own (its broker is stopped below) whose every process exports
    spans to a stand-in Zipkin."""
    with running_collector() as collector:
        env = {"OTEL_BSP_SCHEDULE_DELAY": "200"}  # export every 0.2 s instead of 5 s
        for process in PROCESSES:
            env[f"{process.upper()}_TRACING_EXPORTER"] = "zipkin"
            env[f"{process.upper()}_ZIPKIN_ENDPOINT"] = collector.url + "/api/v2/spans"
        platform = start_platform(tmp_path_factory.mktemp("own"), "embedded", env)
        try:
            yield RunningPlatform(platform=platform, profile="embedded"), collector
        finally:
            platform.stop()


def spans_of(collector: Collector, trace_id: str) -> list[dict[str, Any]]:
    spans = []
    for request in list(collector.requests):
        assert request.path == "/api/v2/spans"
        spans.extend(span for span in json.loads(request.body) if span["traceId"] == trace_id)
    return spans


def test_one_order_is_one_trace_of_spans_in_zipkin(
    own_platform: tuple[RunningPlatform, Collector],
) -> None:
    if not order_service_present():
        pytest.skip("the order service (commerce.order) is not in the tree yet")
    running, collector = own_platform
    with running.client() as client:
        seller, buyer = new_account(client, "zipkin-seller"), new_account(client, "zipkin-buyer")
        product = client.post(
            "/v1/products",
            json={"name": f"Zipkin {uuid.uuid4().hex[:6]}", "price": 700, "stock": 1},
            headers=seller.auth,
        )
        assert product.status_code == 201, product.text
        trace_id, traceparent = new_traceparent()
        placed = client.post(
            "/v1/orders",
            json={"items": [{"product_id": product.json()["id"], "quantity": 1}]},
            headers={**buyer.auth, "traceparent": traceparent},
        )
        assert placed.status_code == 202, placed.text
        order_url = f"/v1/orders/{placed.json()['id']}"
        wait_for(
            "the order to be confirmed",
            lambda: client.get(order_url, headers=buyer.auth).json()["status"] == "CONFIRMED",
        )

    def whole_trace() -> list[dict[str, Any]] | None:
        spans = spans_of(collector, trace_id)
        kinds = {(s["localEndpoint"]["serviceName"], s.get("kind")) for s in spans}
        wanted = {
            ("gateway", "SERVER"),
            ("gateway", "CLIENT"),
            ("order", "SERVER"),
            ("product", "CONSUMER"),  # OrderPlaced, through the outbox and Kafka
            ("order", "CONSUMER"),  # StockReserved, back the same way
        }
        return spans if wanted <= kinds else None

    spans = wait_for("gateway, order and product spans of the order's trace", whole_trace)
    by_id = {span["id"]: span for span in spans}
    order_server = next(
        s for s in spans if s["localEndpoint"]["serviceName"] == "order" and s["kind"] == "SERVER"
    )
    # The order service's span hangs under the gateway's client call, not beside it.
    parent = by_id.get(order_server.get("parentId", ""))
    assert parent is not None and parent["localEndpoint"]["serviceName"] == "gateway"
    assert order_server["name"] == "POST /v1/orders"


def readyz(running: RunningPlatform, process: str) -> int:
    return httpx.get(running.url(process) + "/readyz", timeout=10).status_code


def test_readyz_is_503_while_the_broker_is_down_and_200_once_it_is_back(
    own_platform: tuple[RunningPlatform, Collector],
) -> None:
    running, _ = own_platform
    broker = running.platform.broker
    assert broker is not None, "the embedded profile runs its own broker"
    users_of_the_broker = ("product", "order", "payment", "cart")
    broker.stop()
    try:
        for process in users_of_the_broker:
            wait_for(f"{process} to say not ready", lambda p=process: readyz(running, p) == 503)
            alive = httpx.get(running.url(process) + "/healthz", timeout=10)
            assert alive.status_code == 200  # alive, only not ready
        body = httpx.get(running.url("order") + "/readyz", timeout=10).json()
        assert body["detail"] == "Not ready: broker unavailable."
        # The gateway and auth never use the broker; the user service only relays sign-up
        # events, which wait in its outbox (docs/adr/0012): all three stay ready.
        assert [readyz(running, p) for p in ("gateway", "auth", "user")] == [200, 200, 200]
    finally:
        broker.start()
    for process in users_of_the_broker:
        wait_for(f"{process} to be ready again", lambda p=process: readyz(running, p) == 200)
