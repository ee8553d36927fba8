"""Settings of the payment service (environment variables prefixed ``PAYMENT_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings


class Settings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore", frozen=True)

    service_name: str = "payment"
    port: int = Field(default=8005, ge=0, le=65535)

    provider: Literal["simulated"] = Field(
        default="simulated",
        description="The payment provider adapter (docs/adr/0110 says how a real one plugs in).",
    )
    authorize_deadline_seconds: float = Field(
        default=25.0,
        gt=0,
        le=30,
        description="An authorization the provider has not answered this long after the "
        "request is declined PAYMENT_UNAVAILABLE (the contract's bound is 30 s).",
    )
    provider_call_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Each provider call is given up after this long."
    )
    provider_backoff_seconds: float = Field(
        default=0.5, gt=0, description="Wait after a failed call; it doubles with each failure."
    )
    provider_max_backoff_seconds: float = Field(
        default=5.0, gt=0, description="The doubling stops here."
    )
    provider_concurrency: int = Field(
        default=32, ge=1, description="Provider calls in flight at once, per process."
    )
    steps_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the worker looks for due steps when nothing woke it "
        "(retries, steps of another process, steps left by a crash).",
    )
