"""Kafka security settings: the client options of each protocol, and combinations refused."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import certifi
import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.admin import client_options
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings

# A test value, looked for in everything the settings show.
PASSWORD = "s3cret-scram-password"


class OrderSettings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_", extra="ignore", frozen=True)
    service_name: str = "order"


@pytest.fixture
def cafile(tmp_path: Path) -> Path:
    """One CA certificate in PEM form (the first of certifi's bundle stands in for the
    cluster CA: any valid certificate will do)."""
    bundle = Path(certifi.where()).read_text()
    end = "-----END CERTIFICATE-----"
    first = bundle[bundle.index("-----BEGIN CERTIFICATE-----") : bundle.index(end) + len(end)]
    path = tmp_path / "ca.crt"
    path.write_text(first + "\n")
    return path


def scram(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_username": "order",
        "kafka_sasl_password": PASSWORD,
    }
    values.update(overrides)
    return values


def test_plaintext_by_default_sends_no_credentials() -> None:
    options = client_options(MessagingSettings())
    assert options["security_protocol"] == "PLAINTEXT"
    assert not {"sasl_mechanism", "sasl_plain_username", "ssl_context"} & set(options)


def test_sasl_ssl_sends_scram_credentials_and_checks_the_broker_with_the_ca(cafile: Path) -> None:
    options = client_options(MessagingSettings.model_validate(scram(kafka_ssl_cafile=cafile)))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "order"
    assert options["sasl_plain_password"] == PASSWORD
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # the given CA only, not the system's


def test_sasl_plaintext_authenticates_without_tls() -> None:
    settings = MessagingSettings.model_validate(
        scram(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="SCRAM-SHA-256")
    )
    options = client_options(settings)
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert "ssl_context" not in options


def test_ssl_alone_encrypts_and_trusts_the_system_cas_without_a_cafile() -> None:
    options = client_options(MessagingSettings(kafka_security_protocol="SSL"))
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in options


def test_settings_dumped_and_loaded_again_stay_valid() -> None:
    plain = MessagingSettings()
    assert MessagingSettings.model_validate(plain.model_dump()) == plain
    scram_settings = MessagingSettings.model_validate(scram())
    again = MessagingSettings.model_validate(scram_settings.model_dump())
    assert again.kafka_sasl_password_value() == PASSWORD


def test_a_missing_ca_file_fails_when_the_client_is_built(tmp_path: Path) -> None:
    settings = MessagingSettings.model_validate(scram(kafka_ssl_cafile=tmp_path / "absent.crt"))
    with pytest.raises(FileNotFoundError):
        client_options(settings)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        (scram(kafka_sasl_username=None), "needs kafka_sasl_username and kafka_sasl_password"),
        (scram(kafka_sasl_password=""), "needs kafka_sasl_username and kafka_sasl_password"),
        (scram(kafka_security_protocol="PLAINTEXT"), "does not use SASL"),
        ({"kafka_security_protocol": "SSL", "kafka_sasl_username": "order"}, "not use SASL"),
        ({"kafka_sasl_mechanism": "SCRAM-SHA-256"}, "does not use SASL"),
        ({"kafka_ssl_cafile": "/ca.crt"}, "kafka_ssl_cafile is given"),
        (scram(kafka_security_protocol="SASL_PLAINTEXT", kafka_ssl_cafile="/ca.crt"), "TLS"),
        (scram(kafka_sasl_mechanism="PLAIN"), "SCRAM-SHA-512"),
        ({"kafka_security_protocol": "TLS"}, "SASL_SSL"),
    ],
)
def test_combinations_that_cannot_work_are_refused(
    values: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        MessagingSettings.model_validate(values)


def test_the_password_appears_in_no_repr_dump_or_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ORDER_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("ORDER_KAFKA_SASL_USERNAME", "order")
    monkeypatch.setenv("ORDER_KAFKA_SASL_PASSWORD", PASSWORD)
    settings = OrderSettings()
    assert settings.kafka_sasl_password is not None
    logging.getLogger("test").warning("settings: %s %r", settings, settings.model_dump())
    shown = [repr(settings), str(settings), str(settings.model_dump()), caplog.text]
    assert not [text for text in shown if PASSWORD in text]

    monkeypatch.setenv("ORDER_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXTT")  # a typo
    with pytest.raises(ValidationError) as refused:
        OrderSettings()
    assert PASSWORD not in str(refused.value)
    monkeypatch.setenv("ORDER_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")  # credentials unused
    with pytest.raises(ValidationError) as refused:
        OrderSettings()
    assert "does not use SASL" in str(refused.value)
    assert PASSWORD not in str(refused.value)
