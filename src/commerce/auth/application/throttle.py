"""Sign-in attempts counted per account and per client address (see docs/adr/0022)."""

from __future__ import annotations

import hashlib

from commerce.kernel.domain import RateLimited
from commerce.kernel.ratelimit import Rate, RateLimiter, client_key


class LoginRateLimited(RateLimited):
    """Too many attempts; ``limit`` names the rule that said no (for metrics and logs)."""

    def __init__(self, limit: str, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many sign-in attempts; try again later.",
            retry_after_seconds=retry_after_seconds,
        )
        self.limit = limit


def normalise_email(email: str) -> str:
    """The account key: e-mails are unique case-insensitively, so count them that way."""
    return email.strip().lower()


class LoginThrottle:
    """Every attempt spends a token, before the password is checked.

    The address is checked first, so an address that is over its limit cannot drain the
    budget of the accounts it targets.
    """

    def __init__(self, limiter: RateLimiter, *, per_account: Rate, per_address: Rate) -> None:
        self._limiter = limiter
        self._per_account = per_account
        self._per_address = per_address

    async def check(self, email: str, address: str) -> None:
        """Raise :class:`RateLimited` (with the wait) when either limit is reached."""
        # Hashed so that no e-mail address sits in the limiter's keys (Redis, memory dumps).
        account = hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()[:32]
        for limit, key, rate in (
            # An IPv6 client counts per /64, or it could rotate past the limit within its /64.
            ("login_address", f"login:address:{client_key(address)}", self._per_address),
            ("login_account", f"login:account:{account}", self._per_account),
        ):
            decision = await self._limiter.hit(key, rate)
            if not decision.allowed:
                raise LoginRateLimited(limit, decision.retry_after_seconds)
