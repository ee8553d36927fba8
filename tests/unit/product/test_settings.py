"""The product service's settings: its own env prefix, port and the messaging fields."""

from __future__ import annotations

import pytest

from commerce.product.bootstrap import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRODUCT_PORT", raising=False)
    settings = load_settings()
    assert (settings.service_name, settings.port) == ("product", 8003)


def test_environment_uses_the_product_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODUCT_PORT", "9103")
    monkeypatch.setenv("PRODUCT_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("ORDER_PORT", "1")
    settings = load_settings()
    assert settings.port == 9103
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
