"""Bearer-token verification: signature by a JWKS key, then the claims (docs/adr/0030)."""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Sequence
from typing import Any

import jwt

from commerce.gateway.jwks import ALLOWED_ALGORITHMS, JwksCache, VerificationKey
from commerce.kernel.http.identity import Identity

log = logging.getLogger("commerce.gateway.tokens")

REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")
MAX_TOKEN_LENGTH = 8192
# Claims become header values: no control characters, no comma inside a role.
_HEADER_SAFE = re.compile(r"^[^\x00-\x1f\x7f]{1,320}$")
_ROLE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class InvalidToken(Exception):
    """The token is not one we issued, or not any more. The reason is for logs only."""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``""`` if malformed."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


class _Verified:
    __slots__ = ("expires_at", "identity", "key", "session")

    def __init__(
        self, identity: Identity, key: VerificationKey, expires_at: float, session: str | None
    ) -> None:
        self.identity = identity
        self.key = key
        self.expires_at = expires_at
        self.session = session


class TokenVerifier:
    """Checks tokens against the JWKS; remembers the last ``cache_size`` good ones.

    A client sends the same token with every request for its whole lifetime, so a bounded
    cache of verified tokens saves a signature check and two JSON parses per request (the
    same idea as Envoy's ``jwt_cache_config``). A cached token is still refused once it
    expires, and re-verified whenever the JWKS was fetched again (its key may be gone);
    only successes are cached. A token whose session (``sid``) is in ``revoked`` is refused,
    cached or not (docs/adr/0023).
    """

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: float,
        cache_size: int = 10_000,
        revoked: Container[str] = frozenset(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._revoked = revoked
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    async def identity_of(self, authorization: str | None) -> Identity | None:
        """The identity an ``Authorization`` header proves; ``None`` without one.

        A malformed header or a bad token raises :class:`InvalidToken`, and no key at all
        :class:`commerce.gateway.jwks.KeysUnavailable`, as :meth:`verify` does.
        """
        token = bearer_token(authorization)
        if token is None:
            return None
        return self.cached(token) or await self.verify(token)

    def cached(self, token: str) -> Identity | None:
        """The identity of a token verified before and still good, without a coroutine (the
        hot path: a client sends one token for its whole lifetime); ``None`` otherwise."""
        cached = self._verified.get(token)
        if cached is None or cached.session in self._revoked:
            return None
        current = self._keys.known(cached.key.kid)
        if current is cached.key and self._clock() <= cached.expires_at + self._leeway:
            self._verified.move_to_end(token)
            return cached.identity
        return None

    async def verify(self, token: str) -> Identity:
        """The identity in a valid token; :class:`InvalidToken` otherwise.

        Raises :class:`commerce.gateway.jwks.KeysUnavailable` when no key was ever fetched.
        """
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("empty or oversized token")
        cached = self._verified.get(token)
        if cached is not None and cached.session in self._revoked:
            raise InvalidToken("session revoked")
        if cached is not None:
            # A dict lookup, no await: the JWKS is refreshed in the background, and a new
            # key object (a refetch) means checking the token in full once more.
            current = self._keys.known(cached.key.kid)
            if current is cached.key and self._clock() <= cached.expires_at + self._leeway:
                self._verified.move_to_end(token)
                return cached.identity
            self._verified.pop(token, None)
        verified = await self._verify_signed(token)
        if verified.session in self._revoked:
            raise InvalidToken("session revoked")
        if self._cache_size > 0:
            self._verified[token] = verified
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return verified.identity

    async def _verify_signed(self, token: str) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"unparsable header: {type(error).__name__}") from error
        algorithm, kid = header.get("alg"), header.get("kid")
        # The header is the client's JSON: "alg" may be a list or an object, which a set
        # lookup would turn into a TypeError (a 500) instead of a refusal.
        if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"algorithm not allowed: {algorithm!r}")
        if not isinstance(kid, str) or not kid or len(kid) > 256:
            raise InvalidToken("missing kid")
        key = await self._keys.key(kid)
        if key is None:
            raise InvalidToken("unknown kid")
        if key.algorithm != algorithm:
            raise InvalidToken(f"{algorithm} does not match the key of {kid}")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(f"rejected: {type(error).__name__}") from error
        session = claims.get("sid")
        if session is not None and not isinstance(session, str):
            raise InvalidToken("bad sid")
        return _Verified(identity_from_claims(claims), key, float(claims["exp"]), session)


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    subject, email, roles = claims.get("sub"), claims.get("email", ""), claims.get("roles", [])
    if not isinstance(subject, str) or not _HEADER_SAFE.match(subject):
        raise InvalidToken("bad sub")
    if not isinstance(email, str) or (email and not _HEADER_SAFE.match(email)):
        raise InvalidToken("bad email")
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, Sequence) or not all(
        isinstance(role, str) and _ROLE.match(role) for role in roles
    ):
        raise InvalidToken("bad roles")
    return Identity(user_id=subject, email=email, roles=tuple(roles))
