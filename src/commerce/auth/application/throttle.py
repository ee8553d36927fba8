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
    """Every attempt spends a token of both budgets, before the password is checked.

    Both are checked in one limiter call (one Redis round trip), all or nothing: a refused
    attempt spends neither, so an address over its limit cannot drain the budgets of the
    accounts it targets, and attempts on a locked account do not use up the address's.
    """

    def __init__(self, limiter: RateLimiter, *, per_account: Rate, per_address: Rate) -> None:
        self._limiter = limiter
        self._per_account = per_account
        self._per_address = per_address

    async def check(self, email: str, address: str) -> None:
        """Raise :class:`RateLimited` (with the wait) when either limit is reached."""
        # Hashed so that no e-mail address sits in the limiter's keys (Redis, memory dumps).
        account = hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()[:32]
        limits = ("login_address", "login_account")
        decisions = await self._limiter.hit_many(
            [
                # An IPv6 client counts per /64, or it could rotate past the limit in its /64.
                (f"login:address:{client_key(address)}", self._per_address),
                (f"login:account:{account}", self._per_account),
            ]
        )
        refused = [(limit, d) for limit, d in zip(limits, decisions, strict=True) if not d.allowed]
        if refused:
            # Named after the first rule that said no; the longest wait, so a client that
            # obeys Retry-After is not turned away by the other rule.
            wait = max(decision.retry_after_seconds for _, decision in refused)
            raise LoginRateLimited(refused[0][0], wait)
