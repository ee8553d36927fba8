"""The platform's own metrics, defined once here and fed by the code that knows the numbers.

Every label has a small, fixed set of values (docs/adr/0080): upstream and limit names from
configuration, outcome and reason words from the code, never ids, e-mails or addresses.
Callers use the functions, so the metric names and label sets stay in this one file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Literal

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# -- gateway ---------------------------------------------------------------------------------
UPSTREAM_ERRORS = Counter(
    "commerce_gateway_upstream_errors",
    "Failed calls from the gateway to a service, by upstream and kind of failure.",
    ["upstream", "kind"],
)
CIRCUIT_STATE = Gauge(
    "commerce_gateway_circuit_state",
    "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
    ["upstream"],
)
CIRCUIT_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}
UpstreamErrorKind = Literal["connect", "timeout", "bad_status", "circuit_open"]


def record_upstream_error(upstream: str, kind: UpstreamErrorKind) -> None:
    """One failed upstream call: ``connect`` refused, ``timeout``, a 502/503/504
    ``bad_status``, or refused at once because the circuit was ``circuit_open``."""
    UPSTREAM_ERRORS.labels(upstream, kind).inc()


def set_circuit_state(upstream: str, state: Literal["closed", "half_open", "open"]) -> None:
    CIRCUIT_STATE.labels(upstream).set(CIRCUIT_STATE_VALUES[state])


# -- rate limits and sign-in -----------------------------------------------------------------
RATE_LIMIT_HITS = Counter(
    "commerce_rate_limit_hits",
    "Requests refused with 429, by the limit that refused them.",
    ["limit"],
)
LOGIN_FAILURES = Counter(
    "commerce_auth_login_failures",
    "Refused sign-ins, by reason (invalid_credentials, rate_limited).",
    ["reason"],
)


def record_rate_limit_hit(limit: str) -> None:
    """A 429; ``limit`` names the rule (``request``, ``login_account``, ``login_address``)."""
    RATE_LIMIT_HITS.labels(limit).inc()


def record_login_failure(reason: Literal["invalid_credentials", "rate_limited"]) -> None:
    LOGIN_FAILURES.labels(reason).inc()


# -- ordering saga ---------------------------------------------------------------------------
SAGA_OUTCOMES = Counter(
    "commerce_order_saga_outcomes",
    "Orders that reached a final state, by outcome.",
    ["outcome"],
)


def record_saga_outcome(outcome: Literal["confirmed", "rejected", "cancelled"]) -> None:
    SAGA_OUTCOMES.labels(outcome).inc()


# -- messaging: outbox relay and consumers ---------------------------------------------------
OUTBOX_BACKLOG_ROWS = Gauge(
    "commerce_outbox_backlog_rows",
    "Outbox rows written but not yet published, as last seen by the relay.",
)
OUTBOX_OLDEST_AGE = Gauge(
    "commerce_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row, as last seen by the relay (0 when empty).",
)
DEAD_LETTERS = Counter(
    "commerce_consumer_dead_letters",
    "Messages a consumer gave up on and sent to the topic's DLQ.",
    ["group", "topic"],
)


def observe_outbox(
    backlog_rows: Callable[[], float], oldest_age_seconds: Callable[[], float]
) -> None:
    """Read the relay's own numbers at scrape time (cheap callables, no I/O: the relay
    refreshes them as it polls). One relay per process; a later call replaces the sources."""
    OUTBOX_BACKLOG_ROWS.set_function(backlog_rows)
    OUTBOX_OLDEST_AGE.set_function(oldest_age_seconds)


def record_dead_letter(group: str, topic: str) -> None:
    DEAD_LETTERS.labels(group, topic).inc()


OUTBOX_PUBLISHED = Counter(
    "commerce_outbox_published",
    "Outbox rows the broker acknowledged.",
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "commerce_outbox_publish_failures",
    "Outbox rows the broker did not acknowledge (retried later with backoff).",
)
CONSUMER_HANDLED = Counter(
    "commerce_consumer_handled",
    "Messages a consumer's handler processed successfully.",
    ["group", "topic"],
)
CONSUMER_RETRIES = Counter(
    "commerce_consumer_retries",
    "Handler retries, by reason: outage (a dependency is down: retried until it is back, "
    "never dead-lettered) or error (counts towards the attempt limit).",
    ["group", "topic", "reason"],
)
CONSUMER_COMMIT_FAILURES = Counter(
    "commerce_consumer_commit_failures",
    "Offset commits that failed (a rebalance or a broker restart; the messages are redelivered).",
    ["group"],
)
RetryReason = Literal["outage", "error"]


def record_outbox_published(rows: int) -> None:
    OUTBOX_PUBLISHED.inc(rows)


def record_outbox_publish_failures(rows: int) -> None:
    OUTBOX_PUBLISH_FAILURES.inc(rows)


def record_consumer_handled(group: str, topic: str) -> None:
    CONSUMER_HANDLED.labels(group, topic).inc()


def record_consumer_retry(group: str, topic: str, reason: RetryReason) -> None:
    CONSUMER_RETRIES.labels(group, topic, reason).inc()


def record_consumer_commit_failure(group: str) -> None:
    CONSUMER_COMMIT_FAILURES.labels(group).inc()


LagSource = Callable[[], Mapping[tuple[str, int], int]]


class ConsumerLagCollector(Collector):
    """``commerce_consumer_lag_messages{group,topic,partition}``, read at scrape time from
    each consumer's own ``(topic, partition) -> lag`` map, so partitions a rebalance took
    away disappear instead of showing a stale number."""

    def __init__(self) -> None:
        self._sources: dict[str, LagSource] = {}

    def observe(self, group: str, source: LagSource) -> None:
        self._sources[group] = source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "commerce_consumer_lag_messages",
            "Messages in a partition not yet processed by the group (high watermark - position).",
            labels=["group", "topic", "partition"],
        )
        for group, source in list(self._sources.items()):
            for (topic, partition), lag in dict(source()).items():
                family.add_metric([group, topic, str(partition)], max(lag, 0))
        yield family


CONSUMER_LAG = ConsumerLagCollector()
REGISTRY.register(CONSUMER_LAG)


def observe_consumer_lag(group: str, lag_by_partition: LagSource) -> None:
    """Report a consumer group's lag; ``lag_by_partition`` is a cheap read of numbers the
    consumer keeps (no I/O). A later call for the same group replaces the source."""
    CONSUMER_LAG.observe(group, lag_by_partition)
