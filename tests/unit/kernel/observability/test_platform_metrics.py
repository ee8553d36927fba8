"""The platform metrics defined in the kernel: names, labels and what moves them."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from commerce.kernel.observability import platform_metrics as pm


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:6]}"


def test_upstream_errors_and_circuit_state() -> None:
    upstream = unique("order")
    pm.record_upstream_error(upstream, "connect")
    pm.record_upstream_error(upstream, "connect")
    pm.record_upstream_error(upstream, "circuit_open")
    assert value("commerce_gateway_upstream_errors_total", upstream=upstream, kind="connect") == 2
    pm.set_circuit_state(upstream, "open")
    assert value("commerce_gateway_circuit_state", upstream=upstream) == 2
    pm.set_circuit_state(upstream, "half_open")
    assert value("commerce_gateway_circuit_state", upstream=upstream) == 1
    pm.set_circuit_state(upstream, "closed")
    assert value("commerce_gateway_circuit_state", upstream=upstream) == 0


def test_counters_for_rate_limits_logins_and_saga_outcomes() -> None:
    limit = unique("request")
    pm.record_rate_limit_hit(limit)
    assert value("commerce_rate_limit_hits_total", limit=limit) == 1
    before = value("commerce_auth_login_failures_total", reason="invalid_credentials")
    pm.record_login_failure("invalid_credentials")
    assert value("commerce_auth_login_failures_total", reason="invalid_credentials") == before + 1
    before = value("commerce_order_saga_outcomes_total", outcome="rejected")
    pm.record_saga_outcome("rejected")
    assert value("commerce_order_saga_outcomes_total", outcome="rejected") == before + 1


def test_outbox_gauges_read_the_relay_numbers_at_scrape_time() -> None:
    numbers = {"rows": 3.0, "age": 1.5}
    pm.observe_outbox(lambda: numbers["rows"], lambda: numbers["age"])
    assert value("commerce_outbox_backlog_rows") == 3
    numbers.update(rows=0.0, age=0.0)
    assert value("commerce_outbox_backlog_rows") == 0
    assert value("commerce_outbox_oldest_age_seconds") == 0


def test_consumer_lag_is_read_from_the_consumer_at_scrape_time() -> None:
    group = unique("product")
    lag = {("commerce.order.events", 2): 7, ("commerce.order.events", 0): 0}
    pm.observe_consumer_lag(group, lambda: lag)
    topic = "commerce.order.events"
    assert value("commerce_consumer_lag_messages", group=group, topic=topic, partition="2") == 7
    assert value("commerce_consumer_lag_messages", group=group, topic=topic, partition="0") == 0
    del lag[("commerce.order.events", 2)]  # a rebalance took the partition away
    lag[("commerce.order.events", 0)] = 3
    assert value("commerce_consumer_lag_messages", group=group, topic=topic, partition="0") == 3
    assert (
        REGISTRY.get_sample_value(
            "commerce_consumer_lag_messages", {"group": group, "topic": topic, "partition": "2"}
        )
        is None
    )


def test_dead_letters_count_by_group_and_topic() -> None:
    group = unique("order")
    pm.record_dead_letter(group, "commerce.catalog.events")
    pm.record_dead_letter(group, "commerce.catalog.events")
    assert (
        value("commerce_consumer_dead_letters_total", group=group, topic="commerce.catalog.events")
        == 2
    )


def test_all_platform_metrics_are_in_the_exposition() -> None:
    names = {family.name for family in text_string_to_metric_families(generate_latest().decode())}
    assert {
        "commerce_gateway_upstream_errors",
        "commerce_gateway_circuit_state",
        "commerce_rate_limit_hits",
        "commerce_auth_login_failures",
        "commerce_order_saga_outcomes",
        "commerce_outbox_backlog_rows",
        "commerce_outbox_oldest_age_seconds",
        "commerce_consumer_lag_messages",
        "commerce_consumer_dead_letters",
    } <= names
