"""Sign-out: the refresh token's family revoked, and with it the sign-in's access tokens."""

from __future__ import annotations

from commerce.auth.application.commands import LogOut
from commerce.auth.application.ports import AccessTokenIssuer, RefreshTokenStore
from commerce.auth.application.sessions import session_revocation
from commerce.auth.domain.tokens import hash_token
from commerce.kernel.ports import Clock
from commerce.kernel.revocation import SessionRevocation


class LogOutHandler:
    """Revoke the family of the token, if we know it; unknown tokens are ignored.

    Returns what the gateway must refuse from now on: the session's access tokens."""

    def __init__(self, issuer: AccessTokenIssuer, store: RefreshTokenStore, clock: Clock) -> None:
        self._issuer = issuer
        self._store = store
        self._clock = clock

    async def __call__(self, command: LogOut) -> SessionRevocation | None:
        stored = await self._store.find(hash_token(command.refresh_token))
        if stored is None:
            return None
        now = self._clock()
        stored.family.revoke(now)
        await self._store.revoke_family(stored.family.id, now)
        return session_revocation(self._issuer, stored.family.id, now)
