"""What the use cases share: the pair a sign-in or refresh hands out, and revoking a session."""

from __future__ import annotations

import logging
from datetime import datetime

from commerce.auth.application.ports import AccessTokenIssuer, RefreshTokenStore
from commerce.auth.application.tokens import TokenPair
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims
from commerce.kernel.revocation import SessionRevocation

log = logging.getLogger("commerce.auth")


def token_pair(
    issuer: AccessTokenIssuer,
    family_id: str,
    claims: UserClaims,
    refresh_secret: str,
    refresh_token: RefreshToken,
    now: datetime,
) -> TokenPair:
    """A new access token for ``claims`` in session ``family_id``, beside its refresh token
    (``refresh_secret``, whose stored form is ``refresh_token``)."""
    access = issuer.issue(claims, now, session_id=family_id)
    return TokenPair(
        access_token=access,
        refresh_token=refresh_secret,
        expires_in=issuer.ttl_seconds,
        refresh_expires_in=int((refresh_token.expires_at - now).total_seconds()),
    )


def session_revocation(
    issuer: AccessTokenIssuer, family_id: str, now: datetime
) -> SessionRevocation:
    """What the gateway must refuse once the family is revoked ``now``."""
    # No access token of the family was issued after now, so none outlives now + ttl.
    until = int(now.timestamp()) + issuer.ttl_seconds + 1
    return SessionRevocation(session_id=family_id, until=until)


async def revoke_session(
    store: RefreshTokenStore,
    issuer: AccessTokenIssuer,
    family: TokenFamily,
    now: datetime,
    why: str,
) -> SessionRevocation:
    """Revoke the whole family (logged with ``why``); the session the gateway must refuse."""
    family.revoke(now)
    await store.revoke_family(family.id, now)
    log.warning("%s: revoked family %s of user %s", why, family.id, family.claims.user_id)
    return session_revocation(issuer, family.id, now)
