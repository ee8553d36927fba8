"""AUTH_* settings: defaults of the contract, env parsing, rate rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from commerce.auth.settings import AuthSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AUTH_"):
            monkeypatch.delenv(name)


def test_defaults_match_the_contract() -> None:
    settings = AuthSettings()
    assert (settings.service_name, settings.port) == ("auth", 8002)
    assert settings.user_service_url == "http://127.0.0.1:8001"
    assert (settings.issuer, settings.audience) == ("commerce-auth", "commerce")
    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_token_ttl_seconds == 14 * 24 * 3600
    assert settings.redis_url is None and settings.redis_key_prefix == "auth:"
    assert settings.generated_key_path() == Path("var") / "auth-signing-key.pem"
    assert settings.extra_public_key_paths() == []


def test_environment_configures_limits_keys_and_peers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_LOGIN_RATE_PER_ACCOUNT", "1000")
    monkeypatch.setenv("AUTH_LOGIN_RATE_PER_ADDRESS", "50")
    monkeypatch.setenv("AUTH_LOGIN_BURST_PER_ADDRESS", "5")
    monkeypatch.setenv("AUTH_EXTRA_PUBLIC_KEY_FILES", " old.pem, ,older.pem ")
    monkeypatch.setenv("AUTH_USER_SERVICE_TOKEN", "s3cret")
    monkeypatch.setenv("AUTH_REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = AuthSettings()
    account, address = (
        settings.login_rate_per_account_rule(),
        settings.login_rate_per_address_rule(),
    )
    assert (account.limit, account.capacity) == (1000, 1000)  # burst: one minute's worth
    assert (address.limit, address.capacity) == (50, 5)
    assert settings.extra_public_key_paths() == [Path("old.pem"), Path("older.pem")]
    assert settings.user_service_token is not None
    assert settings.user_service_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("name", "value"),
    [("AUTH_LOGIN_RATE_PER_ACCOUNT", "0"), ("AUTH_ACCESS_TOKEN_TTL_SECONDS", "0")],
)
def test_nonsense_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError):
        AuthSettings()
