"""What the use cases need from the outside world, as typing.Protocol ports."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims
from commerce.kernel.domain import DependencyUnavailable


class UserServiceUnavailable(DependencyUnavailable):
    """The user service could not answer (down, timing out or failing): not the caller's fault.

    The kernel answers it like any unavailable dependency: 503 with ``Retry-After``. The
    detail does not name the service: callers need not know how sign-in is built.
    """

    def __init__(self) -> None:
        super().__init__(
            "A service needed to answer is temporarily unavailable; try again shortly."
        )


class CredentialVerifier(Protocol):
    """Checks an e-mail and password with the service that owns passwords."""

    async def verify(self, email: str, password: str) -> UserClaims | None:
        """The user's claims when the password is right; ``None`` for any wrong pair.

        Raises :class:`UserServiceUnavailable` when no answer could be had.
        """
        ...


class UserDirectory(Protocol):
    """The user service's current view of a user, asked on every refresh (docs/adr/0126)."""

    async def current_claims(self, user_id: str) -> UserClaims | None:
        """The user's claims as they are now (roles included); ``None`` if the user no
        longer exists.

        Raises :class:`UserServiceUnavailable` when no answer could be had.
        """
        ...


class AccessTokenIssuer(Protocol):
    """Signs short-lived access tokens."""

    @property
    def ttl_seconds(self) -> int: ...

    def issue(self, claims: UserClaims, now: datetime, *, session_id: str) -> str:
        """A signed access token for ``claims``, valid ``ttl_seconds`` from ``now``, naming
        its session (the refresh-token family) so the session can be revoked at once."""
        ...


@dataclass(frozen=True)
class StoredToken:
    """A refresh token as found in the store, with the family it belongs to."""

    token: RefreshToken
    family: TokenFamily


class Rotation(enum.Enum):
    """What :meth:`RefreshTokenStore.rotate` did."""

    ROTATED = "rotated"
    # Another request used the token first (or the token is gone): nothing was written.
    ALREADY_USED = "already_used"
    # The family was revoked (or forgotten) since it was read: nothing was written. Checked
    # before ALREADY_USED, so a revoked family is reported as such whatever its tokens say.
    FAMILY_REVOKED = "family_revoked"


class RefreshTokenStore(Protocol):
    """Refresh tokens (by hash) and their families.

    Each method is atomic on its own; there is no wider transaction, because the Redis
    adapter has none to offer. :meth:`rotate` is the one compare-and-set the rules need.
    """

    async def add_family(self, family: TokenFamily, first: RefreshToken) -> None:
        """Store a new family with its first token."""
        ...

    async def find(self, token_hash: str) -> StoredToken | None:
        """The token with this hash and its family; ``None`` if unknown or forgotten."""
        ...

    async def rotate(self, used: RefreshToken, successor: RefreshToken) -> Rotation:
        """Mark ``used`` as used and store ``successor``, atomically and only if ``used`` is
        still unused *and* its family still unrevoked at that moment.

        The family was read (by :meth:`find`) before this call; a revocation committed since
        (a logout, another request's reuse detection) must win, so the store checks it again
        in the same atomic step instead of trusting that read.
        """
        ...

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        """Revoke the family (idempotent: the first revocation time is kept)."""
        ...
