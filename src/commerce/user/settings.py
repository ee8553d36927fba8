"""Settings of the user service (environment variables prefixed ``USER_``)."""

from __future__ import annotations

import os
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.settings import ServiceSettings

# OWASP Password Storage Cheat Sheet: argon2id configurations of equal strength
# (memory in KiB, iterations), parallelism 1. Settings weaker than all of them are refused.
OWASP_ARGON2ID_FLOORS: tuple[tuple[int, int], ...] = (
    (47104, 1),
    (19456, 2),
    (12288, 3),
    (9216, 4),
    (7168, 5),
)


class Settings(ServiceSettings, MessagingSettings):
    model_config = SettingsConfigDict(env_prefix="USER_", extra="ignore", frozen=True)

    service_name: str = "user"
    port: int = Field(default=8001, ge=0, le=65535)

    argon2_time_cost: int = Field(default=2, ge=1, description="argon2id iterations")
    argon2_memory_cost: int = Field(default=19456, ge=7168, description="argon2id memory, KiB")
    argon2_parallelism: int = Field(default=1, ge=1, le=16, description="argon2id lanes")
    argon2_max_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="Hashes computed at the same time (bounds CPU and memory per process).",
    )
    internal_api_token: SecretStr | None = Field(
        default=None,
        description="/internal/* requires this value in X-Internal-Token; required unless on "
        "the embedded default (make run always sets one).",
    )

    @model_validator(mode="after")
    def _argon2_at_least_owasp(self) -> Self:
        if not any(
            self.argon2_memory_cost >= memory and self.argon2_time_cost >= iterations
            for memory, iterations in OWASP_ARGON2ID_FLOORS
        ):
            raise ValueError(
                "argon2id parameters are weaker than OWASP's minimum "
                "(e.g. memory_cost >= 19456 KiB with time_cost >= 2)"
            )
        return self
