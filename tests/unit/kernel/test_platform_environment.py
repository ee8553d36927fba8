from __future__ import annotations

import pytest

from commerce.platform import Platform, PlatformConfig, service_environments


def test_each_service_gets_its_own_port_and_its_peers_addresses() -> None:
    config = PlatformConfig(
        ports={
            "gateway": 9000,
            "user": 9001,
            "auth": 9002,
            "product": 9003,
            "order": 9004,
            "payment": 9005,
            "cart": 9006,
        },
        kafka_bootstrap_servers="127.0.0.1:19092",
    )
    envs = service_environments(config)
    assert envs["user"]["USER_PORT"] == "9001"
    assert envs["auth"]["AUTH_USER_SERVICE_URL"] == "http://127.0.0.1:9001"
    assert envs["gateway"]["GATEWAY_ORDER_URL"] == "http://127.0.0.1:9004"
    assert envs["gateway"]["GATEWAY_CART_URL"] == "http://127.0.0.1:9006"
    # Only for its admin API (docs/adr/0049); its events still go through Kafka only.
    assert envs["gateway"]["GATEWAY_PAYMENT_URL"] == "http://127.0.0.1:9005"
    assert envs["cart"]["CART_ORDER_SERVICE_URL"] == "http://127.0.0.1:9004"
    assert envs["cart"]["CART_PRODUCT_SERVICE_URL"] == "http://127.0.0.1:9003"
    assert envs["payment"]["PAYMENT_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert envs["order"]["ORDER_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert "GATEWAY_KAFKA_BOOTSTRAP_SERVERS" not in envs["gateway"]
    ports = {env[name.upper() + "_PORT"] for name, env in envs.items()}
    assert len(ports) == 7


def test_the_internal_credential_is_always_set_and_shared_by_auth_and_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("USER_INTERNAL_API_TOKEN", raising=False)
    config = PlatformConfig(kafka_bootstrap_servers="127.0.0.1:19092")
    first, second = Platform(config).environments(), Platform(config).environments()
    token = first["user"]["USER_INTERNAL_API_TOKEN"]
    assert len(token) >= 32
    assert first["auth"]["AUTH_USER_SERVICE_TOKEN"] == token
    assert second["user"]["USER_INTERNAL_API_TOKEN"] != token  # new for every run
    assert "USER_INTERNAL_API_TOKEN" not in first["gateway"]


def test_a_configured_internal_credential_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_INTERNAL_API_TOKEN", "configured-" + "x" * 32)
    envs = Platform(PlatformConfig(kafka_bootstrap_servers="127.0.0.1:19092")).environments()
    assert envs["user"]["USER_INTERNAL_API_TOKEN"] == "configured-" + "x" * 32
    assert envs["auth"]["AUTH_USER_SERVICE_TOKEN"] == "configured-" + "x" * 32
