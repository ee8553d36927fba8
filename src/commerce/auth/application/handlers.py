"""The use cases: sign in, refresh, sign out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from commerce.auth.application.ports import (
    AccessTokenIssuer,
    Clock,
    CredentialVerifier,
    RefreshTokenStore,
    Rotation,
    UserDirectory,
)
from commerce.auth.application.throttle import LoginThrottle
from commerce.auth.application.tokens import TokenPair, new_refresh_secret
from commerce.auth.domain.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    RefreshUserUnknown,
    TokenFamilyRevoked,
)
from commerce.auth.domain.tokens import TokenFamily, UserClaims, hash_token
from commerce.kernel.revocation import SessionRevocation

log = logging.getLogger("commerce.auth")


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class LogOut:
    refresh_token: str


@dataclass
class AuthHandlers:
    """The three use cases over one set of ports."""

    verifier: CredentialVerifier
    directory: UserDirectory
    issuer: AccessTokenIssuer
    store: RefreshTokenStore
    throttle: LoginThrottle
    clock: Clock
    refresh_ttl: timedelta

    async def log_in(self, command: LogIn) -> TokenPair:
        """Check the limits, then the password (at the user service); start a token family."""
        await self.throttle.check(command.email, command.client_address)
        claims = await self.verifier.verify(command.email, command.password)
        if claims is None:
            raise InvalidCredentials()
        now = self.clock.now()
        secret = new_refresh_secret()
        family, first = TokenFamily.start(claims, hash_token(secret), now, self.refresh_ttl)
        await self.store.add_family(family, first)
        return self._pair(family.id, claims, secret, now)

    async def refresh(self, command: Refresh) -> TokenPair:
        """Exchange a refresh token for a new pair carrying the user's current roles; a
        second use revokes the family.

        The user service is asked after the domain checks (a reused token never reaches
        it) and before the token is used up, so an outage leaves the token usable for a
        retry and a user who no longer exists revokes the family (docs/adr/0126)."""
        now = self.clock.now()
        stored = await self.store.find(hash_token(command.refresh_token))
        if stored is None:
            raise InvalidRefreshToken()
        family, token = stored.family, stored.token
        secret = new_refresh_secret()
        try:
            successor = family.rotate(token, hash_token(secret), now, self.refresh_ttl)
        except RefreshTokenReused as reused:
            reused.revocation = await self._revoke(family, now, "refresh token reused")
            raise
        claims = await self.directory.current_claims(family.claims.user_id)
        if claims is None:
            unknown = RefreshUserUnknown()
            unknown.revocation = await self._revoke(
                family, now, "refresh for a user that no longer exists"
            )
            raise unknown
        outcome = await self.store.rotate(token, successor)
        if outcome is Rotation.FAMILY_REVOKED:
            # Revoked since our find (a logout, or a reuse caught by another request).
            raise TokenFamilyRevoked()
        if outcome is Rotation.ALREADY_USED:
            # A concurrent refresh used this token first: this is its second use.
            second_use = RefreshTokenReused()
            second_use.revocation = await self._revoke(
                family, now, "refresh token used twice at once"
            )
            raise second_use
        return self._pair(family.id, claims, secret, now)

    async def log_out(self, command: LogOut) -> SessionRevocation | None:
        """Revoke the family of the token, if we know it; unknown tokens are ignored.

        Returns what the gateway must refuse from now on: the session's access tokens."""
        stored = await self.store.find(hash_token(command.refresh_token))
        if stored is None:
            return None
        now = self.clock.now()
        stored.family.revoke(now)
        await self.store.revoke_family(stored.family.id, now)
        return self._revocation(stored.family.id, now)

    async def _revoke(self, family: TokenFamily, now: datetime, why: str) -> SessionRevocation:
        """Revoke the whole family (logged with ``why``); the session the gateway must refuse."""
        family.revoke(now)
        await self.store.revoke_family(family.id, now)
        log.warning("%s: revoked family %s of user %s", why, family.id, family.claims.user_id)
        return self._revocation(family.id, now)

    def _revocation(self, family_id: str, now: datetime) -> SessionRevocation:
        # No access token of the family was issued after now, so none outlives now + ttl.
        until = int(now.timestamp()) + self.issuer.ttl_seconds + 1
        return SessionRevocation(session_id=family_id, until=until)

    def _pair(
        self, family_id: str, claims: UserClaims, refresh_secret: str, now: datetime
    ) -> TokenPair:
        access = self.issuer.issue(claims, now, session_id=family_id)
        return TokenPair(
            access_token=access, refresh_token=refresh_secret, expires_in=self.issuer.ttl_seconds
        )
