"""Access tokens: JWTs signed with Ed25519 (``alg: EdDSA``), ``kid`` in the header."""

from __future__ import annotations

import uuid
from datetime import datetime

import jwt

from commerce.auth.adapters.outbound.keys import ALGORITHM, SigningKey
from commerce.auth.domain.tokens import UserClaims


class JwtAccessTokenIssuer:
    def __init__(self, key: SigningKey, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._ttl_seconds = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl_seconds

    def issue(self, claims: UserClaims, now: datetime, *, session_id: str) -> str:
        issued_at = int(now.timestamp())
        payload = {
            "sub": claims.user_id,
            "email": claims.email,
            "roles": list(claims.roles),
            "iat": issued_at,
            "exp": issued_at + self._ttl_seconds,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
            # The session (refresh-token family): revoked as one at sign-out (docs/adr/0023).
            "sid": session_id,
        }
        return jwt.encode(
            payload, self._key.private_key, algorithm=ALGORITHM, headers={"kid": self._key.kid}
        )
