"""The auth service's public keys, fetched from its JWKS and cached.

Keys are looked up by ``kid``. An unknown ``kid`` triggers a refetch (a key rotation has
just published a new key), but at most once per ``min_refetch_seconds`` whatever the
traffic, so tokens with random ``kid`` values cannot turn the gateway into a flood against
auth. A failed fetch keeps the keys already known.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

log = logging.getLogger("commerce.gateway.jwks")

JwksFetcher = Callable[[], Awaitable[Mapping[str, Any]]]

# The algorithms we accept, each tied to the one key type that may verify it: a token can
# never choose to be checked with an HMAC over a public key, or with another curve.
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256"})
_PUBLIC_MEMBERS = {
    "OKP": ("kty", "crv", "x"),
    "EC": ("kty", "crv", "x", "y"),
    "RSA": ("kty", "n", "e"),
}


def algorithm_for_key(jwk: Mapping[str, Any]) -> str | None:
    """The one allowed algorithm this JWK verifies, or ``None`` if it verifies none."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        algorithm = "EdDSA"
    elif kty == "EC" and crv == "P-256":
        algorithm = "ES256"
    elif kty == "RSA":
        algorithm = "RS256"
    else:
        return None
    declared = jwk.get("alg")
    if declared is not None and declared != algorithm:
        return None
    return algorithm


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Any  # a cryptography public key object


class KeysUnavailable(Exception):
    """No key has ever been fetched: the gateway cannot tell a good token from a bad one."""


def parse_jwks(document: Mapping[str, Any]) -> dict[str, VerificationKey]:
    """The usable signing keys of a JWK Set, by ``kid``; anything odd is skipped."""
    keys: dict[str, VerificationKey] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("not a JWK Set")
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid, use = entry.get("kid"), entry.get("use", "sig")
        algorithm = algorithm_for_key(entry)
        if not isinstance(kid, str) or not kid or use != "sig" or algorithm is None:
            continue
        # Only the public members: a JWKS that leaked a private part is not our key format.
        public = {name: entry[name] for name in _PUBLIC_MEMBERS[entry["kty"]] if name in entry}
        try:
            key = jwt.PyJWK(public, algorithm=algorithm).key
        except jwt.PyJWTError as error:
            log.warning("skipping JWK %s: %s", kid, type(error).__name__)
            continue
        keys[kid] = VerificationKey(kid=kid, algorithm=algorithm, key=key)
    return keys


class JwksCache:
    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        max_age_seconds: float,
        min_refetch_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._min_refetch = min_refetch_seconds
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @property
    def has_keys(self) -> bool:
        return self._fetched_at is not None

    async def key(self, kid: str) -> VerificationKey | None:
        """The key for ``kid``, refetching when stale or when ``kid`` is new to us."""
        if self._is_stale():
            await self.refresh()
        key = self._keys.get(kid)
        if key is None and self._may_refetch():
            await self.refresh()
            key = self._keys.get(kid)
        if key is None and not self.has_keys:
            raise KeysUnavailable("the JWKS could not be fetched")
        return key

    async def ensure(self) -> None:
        """For readiness: succeed when keys are known (fetching them if need be)."""
        # Not forced: /readyz is reachable by anyone and must not become a way to flood auth.
        if not self.has_keys or self._is_stale():
            await self.refresh()
        if not self.has_keys:
            raise KeysUnavailable("the JWKS could not be fetched")

    async def refresh(self) -> None:
        """Fetch the JWKS now, unless a fetch was attempted less than the minimum ago."""
        attempted_before = self._attempted_at
        async with self._lock:
            # Someone else fetched while we waited for the lock: theirs is as good as ours.
            if self._attempted_at != attempted_before or not self._may_refetch():
                return
            self._attempted_at = self._clock()
            self.fetch_count += 1
            try:
                keys = parse_jwks(await self._fetch())
            except Exception as error:  # keep the old keys; the reason goes to the log
                log.warning("JWKS fetch failed: %s", type(error).__name__)
                return
            self._keys = keys
            self._fetched_at = self._clock()

    def _is_stale(self) -> bool:
        if self._fetched_at is None:
            return self._may_refetch()
        return self._clock() - self._fetched_at > self._max_age and self._may_refetch()

    def _may_refetch(self) -> bool:
        if self._attempted_at is None:
            return True
        return self._clock() - self._attempted_at >= self._min_refetch
