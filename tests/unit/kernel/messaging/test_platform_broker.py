"""The supervisor runs the embedded broker only when no Kafka is configured."""

from __future__ import annotations

from commerce.kernel.messaging.embedded_broker import AUTO_CREATED_TOPIC_PARTITIONS, EmbeddedBroker
from commerce.platform import SERVICES, Platform, PlatformConfig


def test_services_get_the_embedded_brokers_address_and_a_short_session() -> None:
    platform = Platform(PlatformConfig())
    platform.broker = EmbeddedBroker(port=19999)  # not started: only its address matters
    envs = platform.environments()
    assert envs["order"]["ORDER_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19999"
    assert envs["product"]["PRODUCT_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19999"
    assert envs["order"]["ORDER_CONSUMER_SESSION_TIMEOUT_SECONDS"] == "2"
    assert "GATEWAY_KAFKA_BOOTSTRAP_SERVERS" not in envs["gateway"]


def test_the_embedded_profiles_topics_have_the_partitions_the_broker_would_create() -> None:
    # A restarted broker may create a topic itself, when a client asks about it before the
    # service re-creates it: both ways must give the same layout (docs/adr/0045).
    platform = Platform(PlatformConfig())
    platform.broker = EmbeddedBroker(port=19999)
    envs = platform.environments()
    for name in SERVICES:
        key = f"{name.upper()}_KAFKA_TOPIC_PARTITIONS"
        assert envs[name][key] == str(AUTO_CREATED_TOPIC_PARTITIONS)
    configured = Platform(PlatformConfig(kafka_bootstrap_servers="kafka:9092")).environments()
    assert "ORDER_KAFKA_TOPIC_PARTITIONS" not in configured["order"]


def test_a_configured_kafka_is_used_as_is() -> None:
    platform = Platform(PlatformConfig(kafka_bootstrap_servers="kafka:9092"))
    envs = platform.environments()
    assert platform.kafka_bootstrap_servers == "kafka:9092"
    assert envs["product"]["PRODUCT_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert "PRODUCT_CONSUMER_SESSION_TIMEOUT_SECONDS" not in envs["product"]


def test_an_explicit_session_timeout_wins_over_the_embedded_default() -> None:
    config = PlatformConfig(extra_env={"ORDER_CONSUMER_SESSION_TIMEOUT_SECONDS": "7"})
    platform = Platform(config)
    platform.broker = EmbeddedBroker(port=19999)
    assert "ORDER_CONSUMER_SESSION_TIMEOUT_SECONDS" not in platform.environments()["order"]
