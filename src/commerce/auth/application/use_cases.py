"""The service's use cases, built once by the composition root and used by the adapters."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.auth.application.log_in import LogInHandler
from commerce.auth.application.log_out import LogOutHandler
from commerce.auth.application.refresh import RefreshHandler


@dataclass(frozen=True)
class AuthUseCases:
    log_in: LogInHandler
    refresh: RefreshHandler
    log_out: LogOutHandler
