"""How a service proves who it is to Kafka, and how it knows the broker is the real one.

PLAINTEXT, the default, is for the embedded broker, which listens on loopback only (ADR 0046).
Production uses SASL_SSL: SCRAM-SHA-512 credentials of the service's own Strimzi KafkaUser over
TLS, the brokers' certificates checked against the cluster CA.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from aiokafka.helpers import create_ssl_context
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# The SCRAM mechanisms only: PLAIN would put the password itself on the wire.
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class KafkaSecuritySettings(BaseModel):
    """The Kafka security settings of one service (part of :class:`MessagingSettings`)."""

    # A settings error quotes the values it was given; the password must not be among them.
    model_config = ConfigDict(hide_input_in_errors=True)

    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    # Strimzi: the KafkaUser's name, and the `password` key of the Secret named after it.
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # The CA that signed the brokers' certificates (Strimzi: `ca.crt` of the Secret
    # `<cluster>-cluster-ca-cert`); unset, the system's trusted CAs.
    kafka_ssl_cafile: Path | None = None

    @property
    def kafka_uses_sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    @property
    def kafka_uses_tls(self) -> bool:
        return self.kafka_security_protocol.endswith("SSL")

    @model_validator(mode="after")
    def _settings_fit_the_protocol(self) -> Self:
        protocol = self.kafka_security_protocol
        if self.kafka_uses_sasl:
            if not (self.kafka_sasl_username and self.kafka_sasl_password_value()):
                raise ValueError(
                    f"kafka_security_protocol {protocol} needs kafka_sasl_username and "
                    "kafka_sasl_password"
                )
        # A setting the protocol would silently ignore is a mistake in the deployment.
        elif self._sasl_settings_given():
            raise ValueError(
                f"kafka_sasl_* settings are given but kafka_security_protocol {protocol} does "
                "not use SASL (SASL_SSL does)"
            )
        if self.kafka_ssl_cafile is not None and not self.kafka_uses_tls:
            raise ValueError(
                f"kafka_ssl_cafile is given but kafka_security_protocol {protocol} does not "
                "use TLS (SASL_SSL does)"
            )
        return self

    def _sasl_settings_given(self) -> bool:
        # The mechanism only when it is not the default: a dump of these settings, loaded
        # again, gives the default explicitly.
        default_mechanism = type(self).model_fields["kafka_sasl_mechanism"].default
        return bool(
            self.kafka_sasl_username
            or self.kafka_sasl_password is not None
            or self.kafka_sasl_mechanism != default_mechanism
        )

    def kafka_sasl_password_value(self) -> str:
        """The password in clear, for the client only (never log it)."""
        password = self.kafka_sasl_password
        return password.get_secret_value() if password is not None else ""


def security_options(settings: KafkaSecuritySettings) -> dict[str, Any]:
    """The aiokafka keyword arguments for ``settings``' protocol, credentials and CA."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_uses_sasl:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        # aiokafka takes the SCRAM credentials under these names too.
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password_value()
    if settings.kafka_uses_tls:
        # Read at every connect, so a renewed CA file is picked up by the next reconnect.
        cafile = settings.kafka_ssl_cafile
        options["ssl_context"] = create_ssl_context(cafile=str(cafile) if cafile else None)
    return options
