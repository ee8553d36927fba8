"""Settings pieces every service shares.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``USER_``,
``AUTH_``, ...), so one environment can configure all services of the platform without
collisions. The embedded defaults need no servers: a SQLite file per service under ``var/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from commerce.kernel.http.guarded import EdgeLimits

DEFAULT_VAR_DIR = Path("var")


class ServiceSettings(BaseSettings):
    """What every service process needs to start."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is a SQLite file under var_dir.",
    )
    # MySQL/MariaDB connections this process keeps (each worker its own): a fixed pool, so
    # that concurrency never opens and closes connections per request (docs/adr/0009; SQLite
    # keeps its default pool). The server's max_connections must cover replicas x workers x
    # this (docs/deploy.md).
    database_pool_size: int = Field(default=20, ge=1, le=500)
    var_dir: Path = DEFAULT_VAR_DIR
    redis_url: str | None = None
    log_level: str = "info"
    # How long an idle client connection stays open. Longer than any caller's pool keeps idle
    # connections (gateway 30 s, httpx 5 s), so a caller never reuses one the server is
    # closing at that very moment, which would fail a non-retryable POST.
    http_keep_alive_seconds: int = Field(default=75, ge=1)
    migrate_on_start: bool = True
    # Edge limits per connection (docs/adr/0039).
    max_request_field_bytes: int = Field(default=16 * 1024, ge=1024)
    max_request_head_bytes: int = Field(default=64 * 1024, ge=4096)
    request_head_timeout_seconds: float = Field(default=10.0, gt=0)
    request_body_idle_seconds: float = Field(default=30.0, gt=0)
    max_connections_per_client: int = Field(default=1024, ge=1)
    gateway_public_key_file: Path | None = Field(
        default=None,
        description="The gateway's Ed25519 public key (PEM): identity is taken only from "
        "requests it signed. Default: gateway-proof.pub under var_dir.",
    )
    # Processes serving this service on its one port (docs/adr/0044): each its own app,
    # consumer group member and outbox relay.
    workers: int = Field(default=1, ge=1, le=64)
    # Tracing (docs/adr/0081): spans always exist so logs carry trace ids; exporting is opt-in.
    tracing_exporter: Literal["none", "zipkin", "otlp"] = "none"
    zipkin_endpoint: str = "http://127.0.0.1:9411/api/v2/spans"
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    tracing_enabled: bool = Field(
        default=True,
        description="false: no spans at all (no trace ids in logs), no per-request work.",
    )
    tracing_sample_ratio: float = Field(
        # Unsampled spans still carry ids (logs keep their trace ids) at a fraction of the
        # cost of recorded ones; a caller's sampled traceparent is always followed.
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded; a caller's sampling decision is followed.",
    )

    def edge_limits(self) -> EdgeLimits:
        return EdgeLimits(
            max_field_bytes=self.max_request_field_bytes,
            max_head_bytes=self.max_request_head_bytes,
            head_timeout_seconds=self.request_head_timeout_seconds,
            body_idle_seconds=self.request_body_idle_seconds,
            max_connections_per_client=self.max_connections_per_client,
        )

    def resolved_database_url(self) -> str:
        """The configured URL, or this service's SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{self.var_dir / (self.service_name + '.db')}"
