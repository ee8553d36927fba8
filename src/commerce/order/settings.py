"""Settings of the order service (environment variables prefixed ``ORDER_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings


class Settings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_", extra="ignore", frozen=True)

    service_name: str = "order"
    port: int = Field(default=8004, ge=0, le=65535)

    max_held_units_per_user: int = Field(
        default=1000,
        ge=1,
        description="Units that one user's orders which are not final may hold together "
        "(ADR 0063); the default is one full line of the largest quantity.",
    )

    redrive_after_seconds: float = Field(
        default=10.0,
        gt=0,
        description="An order waiting this long for an answer asks again.",
    )
    redrive_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Wait before the second repetition; it doubles with each further one.",
    )
    redrive_max_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="The doubling stops here: an unanswered order still asks this often.",
    )
    payment_deadline_seconds: float = Field(
        default=60.0,
        gt=0,
        description="An order waiting this long for the payment service's answer is rejected "
        "PAYMENT_UNAVAILABLE and its stock released (ADR 0116); longer than the payment "
        "service's own 30 s bound on an unavailable provider.",
    )
    redrive_batch_size: int = Field(default=200, ge=1, description="Orders re-driven per pass.")
    redrive_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the re-drive task looks for quiet orders."
    )

    events_keepalive_seconds: float = Field(
        default=15.0,
        gt=0,
        le=15,
        description="A live order stream (GET /v1/orders/{id}/events) that sent nothing for "
        "this long sends a keep-alive comment; the contract asks for one at least every 15 s, "
        "and the gateway's read timeout on event streams is longer (docs/adr/0065).",
    )
    events_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="While live order streams are open, how often each process reads the "
        "versions of the orders they follow: a change reaches them within about this long "
        "(docs/adr/0065).",
    )
