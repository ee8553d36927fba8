"""The auth service's public keys, fetched from its JWKS and cached.

Keys are looked up by ``kid`` in a dict; a background task refetches the JWKS every
``max_age_seconds`` (docs/adr/0030). An unknown ``kid`` triggers a refetch (a key rotation
has just published a new key), but at most once per ``min_refetch_seconds`` whatever the
traffic, so tokens with random ``kid`` values cannot turn the gateway into a flood against
auth. A failed fetch keeps the keys already known.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class JwksFetchError(Exception):
    """The JWKS could not be fetched; the message is safe to log (no URL, no body)."""


class JwksCache:
    """The known keys by ``kid``: a plain dict read on the request path.

    Keys are kept fresh by :meth:`keep_fresh`, a background task of the gateway's lifespan,
    so a request never waits for a scheduled fetch, however slow auth is. Only a token whose
    ``kid`` is not known may make a request wait for a fetch: one fetch at a time (callers
    join the one in flight) and at most one per ``min_refetch_seconds`` whatever the traffic.
    """

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
        self._in_flight: asyncio.Task[bool] | None = None
        self.fetch_count = 0

    @property
    def has_keys(self) -> bool:
        return self._fetched_at is not None

    def known(self, kid: str) -> VerificationKey | None:
        """The key for ``kid`` as last fetched; never waits, never fetches."""
        return self._keys.get(kid)

    async def key(self, kid: str) -> VerificationKey | None:
        """The key for ``kid``; a ``kid`` new to us may refetch (a rotation published it).

        Raises :class:`KeysUnavailable` while no JWKS was ever fetched.
        """
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._in_flight is not None or self._may_refetch():
            await self._fetch_once()
            key = self._keys.get(kid)
        if key is None and not self.has_keys:
            raise KeysUnavailable("the JWKS could not be fetched")
        return key

    async def ensure(self) -> None:
        """For readiness: succeed when keys are known (trying a fetch if none are)."""
        # Rate-limited: /readyz is reachable by anyone and must not become a way to flood auth.
        if not self.has_keys and (self._in_flight is not None or self._may_refetch()):
            await self._fetch_once()
        if not self.has_keys:
            raise KeysUnavailable("the JWKS could not be fetched")

    async def refresh(self) -> bool:
        """Fetch the JWKS now (or join the fetch in flight); ``True`` if it succeeded."""
        return await self._fetch_once()

    async def keep_fresh(
        self,
        retry_seconds: float,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Refetch every ``max_age_seconds`` forever, every ``retry_seconds`` after a failure.

        Meant to run as a task for the life of the process; cancel it to stop.
        """
        succeeded = self.has_keys
        while True:
            await sleep(self._max_age if succeeded else retry_seconds)
            succeeded = await self._fetch_once()

    async def aclose(self) -> None:
        """Cancel a fetch still in flight (at shutdown, before the HTTP client closes)."""
        task, self._in_flight = self._in_flight, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _fetch_once(self) -> bool:
        # Single flight: the fetch runs in its own task that every caller awaits, shielded,
        # so a caller that goes away (client disconnect, readiness timeout) never cancels it
        # for the others.
        task = self._in_flight
        if task is None:
            task = asyncio.create_task(self._fetch_and_store(), name="gateway-jwks-fetch")
            self._in_flight = task
            task.add_done_callback(self._forget)
        return await asyncio.shield(task)

    def _forget(self, task: asyncio.Task[bool]) -> None:
        if self._in_flight is task:
            self._in_flight = None

    async def _fetch_and_store(self) -> bool:
        self._attempted_at = self._clock()
        self.fetch_count += 1
        try:
            keys = parse_jwks(await self._fetch())
        except (JwksFetchError, ValueError) as error:  # keep the old keys
            log.warning("JWKS fetch failed, keeping the known keys: %s", error)
            return False
        except Exception:  # a bug, not an outage: keep the old keys but show the traceback
            log.exception("JWKS fetch failed unexpectedly, keeping the known keys")
            return False
        self._keys = keys
        self._fetched_at = self._clock()
        return True

    def _may_refetch(self) -> bool:
        if self._attempted_at is None:
            return True
        return self._clock() - self._attempted_at >= self._min_refetch
