"""Sign-in: the limits, then the password (at the user service); a new token family."""

from __future__ import annotations

from datetime import timedelta

from commerce.auth.application.commands import LogIn
from commerce.auth.application.ports import (
    AccessTokenIssuer,
    CredentialVerifier,
    RefreshTokenStore,
)
from commerce.auth.application.sessions import token_pair
from commerce.auth.application.throttle import LoginThrottle
from commerce.auth.application.tokens import TokenPair, new_refresh_secret
from commerce.auth.domain.errors import InvalidCredentials
from commerce.auth.domain.tokens import TokenFamily, hash_token
from commerce.kernel.ports import Clock, IdFactory


class LogInHandler:
    """Check the limits, then the password (at the user service); start a token family."""

    def __init__(
        self,
        verifier: CredentialVerifier,
        issuer: AccessTokenIssuer,
        store: RefreshTokenStore,
        throttle: LoginThrottle,
        clock: Clock,
        refresh_ttl: timedelta,
        new_id: IdFactory,
    ) -> None:
        self._verifier = verifier
        self._issuer = issuer
        self._store = store
        self._throttle = throttle
        self._clock = clock
        self._refresh_ttl = refresh_ttl
        self._new_id = new_id

    async def __call__(self, command: LogIn) -> TokenPair:
        await self._throttle.check(command.email, command.client_address)
        claims = await self._verifier.verify(command.email, command.password)
        if claims is None:
            raise InvalidCredentials()
        now = self._clock()
        secret = new_refresh_secret()
        family, first = TokenFamily.start(
            self._new_id(), claims, hash_token(secret), now, self._refresh_ttl
        )
        await self._store.add_family(family, first)
        return token_pair(self._issuer, family.id, claims, secret, first, now)
