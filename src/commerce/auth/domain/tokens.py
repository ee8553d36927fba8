"""Refresh tokens and the families they form.

A family starts at sign-in with one token. Each refresh exchanges the family's current token
for a new one (rotation); the old token is kept, marked used, until it expires. A used token
presented again means two parties hold the family's tokens, so the whole family is revoked:
the thief's and the victim's newer tokens stop working and the victim signs in again.

Tokens are known here only by their hash; the raw value goes to the client and nowhere else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from commerce.auth.domain.errors import (
    RefreshTokenExpired,
    RefreshTokenReused,
    TokenFamilyRevoked,
)


def hash_token(raw: str) -> str:
    """The stored form of a refresh token: hex SHA-256 (the token has 256 random bits)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserClaims:
    """Who the family belongs to, as the user service said at sign-in."""

    user_id: str
    email: str
    roles: tuple[str, ...]


@dataclass
class RefreshToken:
    token_hash: str
    family_id: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def use(self, now: datetime) -> None:
        """Mark the token exchanged (its family does, at a rotation)."""
        self.used_at = now

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


class TokenFamily:
    """Every refresh token descended from one sign-in."""

    def __init__(
        self,
        *,
        id: str,
        claims: UserClaims,
        created_at: datetime,
        revoked_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.claims = claims
        self.created_at = created_at
        self.revoked_at = revoked_at

    @classmethod
    def start(
        cls,
        family_id: str,
        claims: UserClaims,
        first_token_hash: str,
        now: datetime,
        ttl: timedelta,
    ) -> tuple[TokenFamily, RefreshToken]:
        """A new family ``family_id`` for a fresh sign-in, with its first token."""
        family = cls(id=family_id, claims=claims, created_at=now)
        return family, family._issue(first_token_hash, now, ttl)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def rotate(
        self, presented: RefreshToken, successor_hash: str, now: datetime, ttl: timedelta
    ) -> RefreshToken:
        """Exchange ``presented`` for a new token, or refuse.

        Reuse is checked before expiry: an old token coming back is theft even if it has
        expired since, as long as we still remember it.
        """
        if presented.family_id != self.id:
            raise ValueError("the token belongs to another family")
        if self.is_revoked:
            raise TokenFamilyRevoked()
        if presented.is_used:
            self.revoke(now)
            raise RefreshTokenReused()
        if presented.is_expired(now):
            raise RefreshTokenExpired()
        presented.use(now)
        return self._issue(successor_hash, now, ttl)

    def revoke(self, now: datetime) -> None:
        """Stop every token of the family; the first revocation time is kept."""
        if self.revoked_at is None:
            self.revoked_at = now

    def _issue(self, token_hash: str, now: datetime, ttl: timedelta) -> RefreshToken:
        return RefreshToken(
            token_hash=token_hash, family_id=self.id, issued_at=now, expires_at=now + ttl
        )
