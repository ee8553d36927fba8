"""Refresh token families in Redis, for deployments that already run it.

Layout under the key prefix (``auth:`` by default)::

    <prefix>rt:<token hash>   hash: family_id, issued_at, expires_at, used_at ('' = unused)
    <prefix>fam:<family id>   hash: user_id, email, roles (JSON), created_at, revoked_at

Times are epoch milliseconds. Every key expires with the token (or, for a family, with its
newest token), so Redis forgets what no longer matters. Used tokens stay until they expire:
that memory is what detects their reuse. The lookup, the compare-and-set of a refresh and the
revocation each run as one Lua script: one round trip each, atomic against every other client.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from commerce.auth.application.ports import Rotation, StoredToken
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims

_TOKEN_FIELDS = ("family_id", "issued_at", "expires_at", "used_at")
_FAMILY_FIELDS = ("user_id", "email", "roles", "created_at", "revoked_at")

# KEYS: token. ARGV: family key prefix, then the token's and the family's field names.
# Returns {} for an unknown token, else {token fields, family fields} (nil where missing).
# The family key is derived from the token, so it cannot be declared in KEYS: fine on one
# Redis; a Redis Cluster would need both keys in one slot, as the rotation script does anyway.
_FIND = """
local token = redis.call('HMGET', KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if not token[1] then return {} end
local family = redis.call('HMGET', ARGV[1] .. token[1], ARGV[6], ARGV[7], ARGV[8], ARGV[9],
                          ARGV[10])
return {token, family}
"""

# KEYS: used token, successor token, family. ARGV: used_at, family_id, issued_at, expires_at.
# Returns 1 rotated, 0 token used (or gone), -1 family revoked (or gone); the family first,
# like the SQL store. A missing field reads as false, which is not '': gone counts as no.
_ROTATE = """
if redis.call('HGET', KEYS[3], 'revoked_at') ~= '' then return -1 end
if redis.call('HGET', KEYS[1], 'used_at') ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'used_at', ARGV[1])
redis.call('HSET', KEYS[2], 'family_id', ARGV[2], 'issued_at', ARGV[3],
           'expires_at', ARGV[4], 'used_at', '')
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[3], ARGV[4], 'GT')
return 1
"""

# KEYS: family. ARGV: revoked_at. Never recreates a family that has expired.
_REVOKE = """
if redis.call('HGET', KEYS[1], 'revoked_at') == '' then
  redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1])
end
return 0
"""


_ROTATION = {1: Rotation.ROTATED, 0: Rotation.ALREADY_USED, -1: Rotation.FAMILY_REVOKED}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(value: bytes | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def _optional_moment(value: bytes | str) -> datetime | None:
    return _moment(value) if value not in (b"", "") else None


class RedisRefreshTokenStore:
    """The Redis adapter of :class:`~commerce.auth.application.ports.RefreshTokenStore`."""

    def __init__(self, redis: Redis, *, prefix: str = "auth:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._find = redis.register_script(_FIND)
        self._rotate = redis.register_script(_ROTATE)
        self._revoke = redis.register_script(_REVOKE)

    def _token_key(self, token_hash: str) -> str:
        return f"{self._prefix}rt:{token_hash}"

    def _family_key(self, family_id: str) -> str:
        return f"{self._prefix}fam:{family_id}"

    async def add_family(self, family: TokenFamily, first: RefreshToken) -> None:
        expires = _ms(first.expires_at)
        family_key, token_key = self._family_key(family.id), self._token_key(first.token_hash)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                family_key,
                mapping={
                    "user_id": family.claims.user_id,
                    "email": family.claims.email,
                    "roles": json.dumps(list(family.claims.roles)),
                    "created_at": _ms(family.created_at),
                    "revoked_at": _ms(family.revoked_at) if family.revoked_at else "",
                },
            )
            pipe.pexpireat(family_key, expires)
            pipe.hset(
                token_key,
                mapping={
                    "family_id": family.id,
                    "issued_at": _ms(first.issued_at),
                    "expires_at": expires,
                    "used_at": "",
                },
            )
            pipe.pexpireat(token_key, expires)
            await pipe.execute()

    async def find(self, token_hash: str) -> StoredToken | None:
        reply: Any = await self._find(
            keys=[self._token_key(token_hash)],
            args=[self._family_key(""), *_TOKEN_FIELDS, *_FAMILY_FIELDS],
        )
        if not reply:
            return None
        (family_id, issued_at, expires_at, used_at), family_fields = reply
        user_id, email, roles, created_at, revoked_at = family_fields
        if user_id is None:  # the family expired before this token: nothing to refresh
            return None
        token = RefreshToken(
            token_hash=token_hash,
            family_id=family_id.decode(),
            issued_at=_moment(issued_at),
            expires_at=_moment(expires_at),
            used_at=_optional_moment(used_at),
        )
        family = TokenFamily(
            id=token.family_id,
            claims=UserClaims(
                user_id=user_id.decode(), email=email.decode(), roles=tuple(json.loads(roles))
            ),
            created_at=_moment(created_at),
            revoked_at=_optional_moment(revoked_at),
        )
        return StoredToken(token=token, family=family)

    async def rotate(self, used: RefreshToken, successor: RefreshToken) -> Rotation:
        assert used.used_at is not None, "the domain marks the token used before storing"
        reply: Any = await self._rotate(
            keys=[
                self._token_key(used.token_hash),
                self._token_key(successor.token_hash),
                self._family_key(used.family_id),
            ],
            args=[
                _ms(used.used_at),
                successor.family_id,
                _ms(successor.issued_at),
                _ms(successor.expires_at),
            ],
        )
        return _ROTATION[int(reply)]

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._revoke(keys=[self._family_key(family_id)], args=[_ms(at)])
