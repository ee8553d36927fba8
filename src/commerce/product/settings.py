"""Settings of the product service (env prefix ``PRODUCT_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings


class Settings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="PRODUCT_", extra="ignore", frozen=True)

    service_name: str = "product"
    port: int = Field(default=8003, ge=0, le=65535)
