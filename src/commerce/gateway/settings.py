"""Gateway settings, read from ``GATEWAY_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from commerce.kernel.settings import ServiceSettings


class UpstreamTimeouts(BaseModel):
    """Per-upstream override of the default timeouts (seconds); unset fields keep them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect: float | None = Field(default=None, gt=0)
    read: float | None = Field(default=None, gt=0)


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    port: int = Field(default=8000, ge=0, le=65535)
    # /metrics is served here only, not on the clients' port (gateway.admin).
    admin_host: str = "127.0.0.1"
    admin_port: int = Field(default=8090, ge=0, le=65535)

    # Upstreams (base URLs, no trailing path).
    user_url: str = "http://127.0.0.1:8001"
    auth_url: str = "http://127.0.0.1:8002"
    product_url: str = "http://127.0.0.1:8003"
    order_url: str = "http://127.0.0.1:8004"
    # Only its admin API (/v1/admin/payment) is routed: payment has no public API.
    payment_url: str = "http://127.0.0.1:8005"
    cart_url: str = "http://127.0.0.1:8006"

    # Proof of identity for the services (docs/adr/0038).
    proof_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM) that signs X-Gateway-Proof. Default: "
        "gateway-proof.key under var_dir, made on the first start, its public half beside it.",
    )

    # Token verification (docs/adr/0030).
    jwks_url: str | None = Field(default=None, description="Default: <auth_url>/v1/auth/jwks.")
    issuer: str = "commerce-auth"
    audience: str = "commerce"
    leeway_seconds: float = Field(default=5.0, ge=0, le=60)
    jwks_max_age_seconds: float = Field(
        default=300.0, gt=0, description="The JWKS is refetched in the background this often."
    )
    jwks_retry_seconds: float = Field(
        default=5.0, gt=0, description="After a failed background fetch, the next one."
    )
    token_cache_size: int = Field(
        default=10_000, ge=0, description="Verified tokens remembered; 0 turns the cache off."
    )
    jwks_min_refetch_seconds: float = Field(
        default=5.0, ge=0, description="An unknown kid refetches the JWKS at most this often."
    )

    # Client address: 0 = the TCP peer; n = the n-th X-Forwarded-For entry from the right.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    redis_key_prefix: str = "gateway:"

    # Merged OpenAPI document (docs/adr/0033).
    openapi_refresh_seconds: float = Field(default=30.0, gt=0)
    openapi_retry_seconds: float = Field(default=5.0, gt=0)

    # Resilience and limits (docs/adr/0034, docs/adr/0035).
    connect_timeout_seconds: float = Field(default=1.0, gt=0)
    read_timeout_seconds: float = Field(default=10.0, gt=0)
    upstream_timeouts: dict[str, UpstreamTimeouts] = Field(
        default_factory=dict,
        description='JSON, e.g. {"order": {"read": 20}}; keys are upstream names.',
    )
    retry_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries in all, idempotent only."
    )
    retry_backoff_seconds: float = Field(default=0.05, ge=0)
    retry_backoff_max_seconds: float = Field(default=1.0, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=5.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=0)
    rate_limit_enabled: bool = True
    rate_limit_requests: int = Field(default=2000, ge=1)
    rate_limit_period_seconds: float = Field(default=1.0, gt=0)
    rate_limit_burst: int = Field(default=4000, ge=1)
    rate_limit_sync_seconds: float = Field(
        default=0.2, gt=0, description="With Redis: how often replicas reconcile their buckets."
    )

    event_stream_read_timeout_seconds: float = Field(
        default=45.0,
        gt=0,
        description="Between reads of a Server-Sent Events body (text/event-stream), instead "
        "of the read timeout: longer than the services' keep-alive interval (15 s at most), so "
        "a quiet stream lives and a silent upstream is still noticed (docs/adr/0065).",
    )

    # Upstream connection pool, for all upstreams. Each open event stream holds one
    # connection for its whole life: 1,000 leaves room for hundreds of streams beside the
    # ordinary traffic, and stays below the services' 1,024 connections per client address
    # (the gateway is one client to them; docs/adr/0065).
    max_connections: int = Field(default=1000, ge=1)
    # Below the services' own keep-alive (75 s), so the gateway closes an idle connection
    # before the service does and never sends on one being closed.
    keepalive_expiry_seconds: float = Field(default=30.0, ge=0)

    def upstream_urls(self) -> dict[str, str]:
        return {
            "user": self.user_url.rstrip("/"),
            "auth": self.auth_url.rstrip("/"),
            "product": self.product_url.rstrip("/"),
            "order": self.order_url.rstrip("/"),
            "payment": self.payment_url.rstrip("/"),
            "cart": self.cart_url.rstrip("/"),
        }

    def timeouts_for(self, upstream: str) -> tuple[float, float]:
        """``(connect, read)`` seconds for ``upstream``."""
        override = self.upstream_timeouts.get(upstream, UpstreamTimeouts())
        return (
            override.connect or self.connect_timeout_seconds,
            override.read or self.read_timeout_seconds,
        )

    def resolved_jwks_url(self) -> str:
        return self.jwks_url or self.auth_url.rstrip("/") + "/v1/auth/jwks"
