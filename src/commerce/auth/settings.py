"""The auth service's settings, from ``AUTH_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from commerce.kernel.ratelimit import Rate
from commerce.kernel.settings import ServiceSettings

GENERATED_KEY_FILE = "auth-signing-key.pem"


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", frozen=True)

    service_name: str = "auth"
    port: int = Field(default=8002, ge=0, le=65535)

    user_service_url: str = "http://127.0.0.1:8001"
    user_service_token: SecretStr | None = Field(
        default=None, description="Sent as X-Internal-Token to the user service when set."
    )
    user_service_timeout_seconds: float = Field(default=5.0, gt=0)

    issuer: str = "commerce-auth"
    audience: str = "commerce"
    access_token_ttl_seconds: int = Field(default=900, ge=1)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=1)

    signing_key_file: Path | None = Field(
        default=None, description="Ed25519 private key (PEM); else one is generated in var_dir."
    )
    extra_public_key_files: str = Field(
        default="", description="Comma-separated PEM public keys also published in the JWKS."
    )
    jwks_max_age_seconds: int = Field(default=300, ge=0)

    redis_key_prefix: str = "auth:"
    purge_interval_seconds: float = Field(
        default=3600.0, ge=0, description="How often expired SQL tokens are deleted; 0 = never."
    )

    login_rate_per_account: int = Field(default=10, ge=1, description="Attempts per minute.")
    login_burst_per_account: int | None = Field(default=None, ge=1)
    login_rate_per_address: int = Field(default=30, ge=1, description="Attempts per minute.")
    login_burst_per_address: int | None = Field(default=None, ge=1)
    rate_limit_max_keys: int = Field(default=100_000, ge=1)

    # The refresh token as an HttpOnly cookie, for browsers that opt in (docs/adr/0024).
    refresh_cookie_secure: bool = Field(
        default=True,
        description="The refresh cookie's Secure attribute; Chromium keeps a Secure cookie "
        "set over http://127.0.0.1 or localhost too, so only a plain-http host name needs off.",
    )
    refresh_cookie_origins: str = Field(
        default="http://127.0.0.1:8000,http://localhost:8000",
        description="Comma-separated origins whose pages may use the cookie (the storefront's: "
        "the gateway's public origin); a cookie-mode request naming another Origin is a 403.",
    )

    def generated_key_path(self) -> Path:
        return self.var_dir / GENERATED_KEY_FILE

    def extra_public_key_paths(self) -> list[Path]:
        return [
            Path(part.strip()) for part in self.extra_public_key_files.split(",") if part.strip()
        ]

    def refresh_cookie_origin_set(self) -> frozenset[str]:
        return frozenset(
            part.strip().rstrip("/").lower()
            for part in self.refresh_cookie_origins.split(",")
            if part.strip()
        )

    def login_rate_per_account_rule(self) -> Rate:
        return Rate.per_minute(self.login_rate_per_account, self.login_burst_per_account)

    def login_rate_per_address_rule(self) -> Rate:
        return Rate.per_minute(self.login_rate_per_address, self.login_burst_per_address)
