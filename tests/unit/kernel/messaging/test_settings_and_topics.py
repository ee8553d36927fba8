"""Messaging settings as a service sees them, and the topic helpers."""

from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict

from commerce.contracts import ALL_TOPICS
from commerce.kernel.messaging.admin import client_options, with_dead_letters
from commerce.kernel.messaging.outbox_claims import RETRY_MAX_SECONDS, retry_delay
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings


class OrderSettings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_", extra="ignore", frozen=True)
    service_name: str = "order"


def test_a_service_reads_messaging_settings_under_its_own_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDER_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    monkeypatch.setenv("ORDER_KAFKA_ENABLE_IDEMPOTENCE", "true")
    monkeypatch.setenv("PRODUCT_CONSUMER_MAX_ATTEMPTS", "9")  # another service's setting
    settings = OrderSettings()
    assert settings.kafka_bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert settings.kafka_enable_idempotence is True
    assert settings.consumer_max_attempts == 5
    assert settings.port == 8000  # the ServiceSettings half still works


def test_defaults_suit_the_embedded_broker() -> None:
    settings = MessagingSettings()
    assert settings.kafka_enable_idempotence is False  # Tansu refuses InitProducerId
    assert settings.kafka_topic_partitions == 3
    assert settings.consumer_max_attempts == 5
    # Commits wake the relay; the poll is only the fallback, so it is not a busy loop.
    assert settings.outbox_poll_interval_seconds >= 1.0


def test_client_options_carry_the_service_name_and_timeouts() -> None:
    options = client_options(OrderSettings(kafka_request_timeout_seconds=2.5))
    assert options["client_id"] == "commerce-order"
    assert options["request_timeout_ms"] == 2500
    assert options["bootstrap_servers"] == "127.0.0.1:9092"


def test_every_topic_gets_its_dead_letter_topic_once() -> None:
    assert with_dead_letters(["a", "b", "a"]) == ["a", "a.dlq", "b", "b.dlq"]
    assert len(with_dead_letters(ALL_TOPICS)) == 2 * len(ALL_TOPICS)


def test_relay_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[0] > 0
    assert delays[-1] == RETRY_MAX_SECONDS
