"""The real clock."""

from __future__ import annotations

from datetime import datetime

from commerce.kernel.domain import utc_now


class SystemClock:
    def now(self) -> datetime:
        return utc_now()
