"""Settings of the cart service (environment variables prefixed ``CART_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings


class Settings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="CART_", extra="ignore", frozen=True)

    service_name: str = "cart"
    port: int = Field(default=8006, ge=0, le=65535)

    order_service_url: str = "http://127.0.0.1:8004"
    order_service_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Checkout waits this long for the order service."
    )
    product_service_url: str = "http://127.0.0.1:8003"
    product_service_timeout_seconds: float = Field(
        default=3.0, gt=0, description="A PUT of a product new to the view waits this long."
    )
    redis_key_prefix: str = "cart:"
    checkout_ttl_seconds: int = Field(
        default=30 * 24 * 3600,
        ge=60,
        description="How long a checkout waits for its order's confirmation, and how long "
        "the catalog view remembers a reservation for its release; then both are forgotten.",
    )
    purge_interval_seconds: float = Field(
        default=3600.0, ge=0, description="How often old SQL rows are deleted; 0 = never."
    )
