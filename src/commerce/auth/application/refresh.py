"""Refresh: a used-up refresh token for a new pair with the user's current roles."""

from __future__ import annotations

from datetime import timedelta

from commerce.auth.application.commands import Refresh
from commerce.auth.application.ports import (
    AccessTokenIssuer,
    RefreshTokenStore,
    Rotation,
    UserDirectory,
)
from commerce.auth.application.sessions import revoke_session, token_pair
from commerce.auth.application.tokens import TokenPair, new_refresh_secret
from commerce.auth.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenReused,
    RefreshUserUnknown,
    TokenFamilyRevoked,
)
from commerce.auth.domain.tokens import hash_token
from commerce.kernel.ports import Clock


class RefreshHandler:
    """Exchange a refresh token for a new pair carrying the user's current roles; a
    second use revokes the family.

    The user service is asked after the domain checks (a reused token never reaches
    it) and before the token is used up, so an outage leaves the token usable for a
    retry and a user who no longer exists revokes the family (docs/adr/0126)."""

    def __init__(
        self,
        directory: UserDirectory,
        issuer: AccessTokenIssuer,
        store: RefreshTokenStore,
        clock: Clock,
        refresh_ttl: timedelta,
    ) -> None:
        self._directory = directory
        self._issuer = issuer
        self._store = store
        self._clock = clock
        self._refresh_ttl = refresh_ttl

    async def __call__(self, command: Refresh) -> TokenPair:
        now = self._clock()
        stored = await self._store.find(hash_token(command.refresh_token))
        if stored is None:
            raise InvalidRefreshToken()
        family, token = stored.family, stored.token
        secret = new_refresh_secret()
        try:
            successor = family.rotate(token, hash_token(secret), now, self._refresh_ttl)
        except RefreshTokenReused as reused:
            reused.revocation = await revoke_session(
                self._store, self._issuer, family, now, "refresh token reused"
            )
            raise
        claims = await self._directory.current_claims(family.claims.user_id)
        if claims is None:
            unknown = RefreshUserUnknown()
            unknown.revocation = await revoke_session(
                self._store, self._issuer, family, now, "refresh for a user that no longer exists"
            )
            raise unknown
        outcome = await self._store.rotate(token, successor)
        if outcome is Rotation.FAMILY_REVOKED:
            # Revoked since our find (a logout, or a reuse caught by another request).
            raise TokenFamilyRevoked()
        if outcome is Rotation.ALREADY_USED:
            # A concurrent refresh used this token first: this is its second use.
            second_use = RefreshTokenReused()
            second_use.revocation = await revoke_session(
                self._store, self._issuer, family, now, "refresh token used twice at once"
            )
            raise second_use
        return token_pair(self._issuer, family.id, claims, secret, successor, now)
