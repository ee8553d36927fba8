"""Proof that a request came through the gateway, and whose it is (docs/adr/0038).

The gateway signs a short-lived assertion (a JWT, EdDSA) for every request it forwards: the
client address it decided, and the identity of the verified bearer token, if any. It travels
in ``X-Gateway-Proof``. Services hold only the gateway's public key: they take identity and
client address from a proof that verifies, and from nothing else, so a caller that reaches a
service's port directly cannot claim anybody's identity (or a forged address) with headers.

Signing and verifying cost tens of microseconds; both are cached. The gateway reuses a proof
for the same identity and address for half its lifetime, and a service remembers a proof it
verified until it expires, so the usual request costs a dictionary look-up on each side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commerce.kernel.http.identity import Identity
from commerce.kernel.keys import (
    GATEWAY_PROOF_KEY_FILE,
    GATEWAY_PROOF_PUBLIC_KEY_FILE,
    ensure_key_pair,
    load_private_key,
    load_public_key,
)

log = logging.getLogger("commerce.identity")

PROOF_HEADER = "X-Gateway-Proof"
ISSUER = "commerce-gateway"
AUDIENCE = "commerce-services"
ALGORITHM = "EdDSA"
LIFETIME_SECONDS = 60
CLOCK_SKEW_SECONDS = 5
# Bounds the caches: past it they start afresh (a burst of distinct callers costs a re-sign).
MAX_CACHED = 10_000

Clock = Callable[[], float]


class InvalidProof(Exception):
    """Missing where required, unreadable, not signed by the gateway, or expired."""


@dataclass(frozen=True)
class GatewayProof:
    """What the gateway vouches for: the client's address and, when signed in, its identity."""

    client_address: str
    identity: Identity | None


class ProofSigner:
    """The gateway's side: a signed proof per (identity, address), reused while fresh."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        lifetime_seconds: int = LIFETIME_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        self._key = private_key
        self._lifetime = lifetime_seconds
        self._clock = clock
        self._cache: dict[tuple[Identity | None, str], tuple[bytes, float]] = {}

    def proof(self, identity: Identity | None, client_address: str) -> bytes:
        now = self._clock()
        key = (identity, client_address)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now),
            "exp": int(now) + self._lifetime,
            "addr": client_address,
        }
        if identity is not None:
            claims.update(sub=identity.user_id, email=identity.email, roles=list(identity.roles))
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM).encode("ascii")
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (token, now + self._lifetime / 2)
        return token


class ProofVerifier:
    """A service's side: the proof's content if the gateway signed it and it is fresh.

    With no key configured every proof is refused: identity then reaches no endpoint, which
    fails closed rather than trusting headers.
    """

    def __init__(
        self, public_keys: Iterable[Ed25519PublicKey], *, clock: Clock = time.time
    ) -> None:
        self._keys = tuple(public_keys)
        self._clock = clock
        self._cache: dict[bytes, tuple[GatewayProof, float]] = {}

    def verify(self, raw: bytes) -> GatewayProof:
        now = self._clock()
        cached = self._cache.get(raw)
        if cached is not None:
            if cached[1] + CLOCK_SKEW_SECONDS > now:
                return cached[0]
            del self._cache[raw]
        proof, expires = self._decode(raw)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[raw] = (proof, expires)
        return proof

    def _decode(self, raw: bytes) -> tuple[GatewayProof, float]:
        claims = None
        for key in self._keys:  # more than one while the gateway's key is being rotated
            try:
                claims = jwt.decode(
                    raw,
                    key,
                    algorithms=[ALGORITHM],
                    audience=AUDIENCE,
                    issuer=ISSUER,
                    # Times are checked below against this verifier's clock, like the cache.
                    options={
                        "require": ["exp", "iat", "iss", "aud", "addr"],
                        "verify_exp": False,
                        "verify_iat": False,
                    },
                )
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as error:
                raise InvalidProof(str(error)) from None
        if claims is None:
            raise InvalidProof("not signed by the gateway")
        expires, issued, now = claims["exp"], claims["iat"], self._clock()
        if not isinstance(expires, int | float) or not isinstance(issued, int | float):
            raise InvalidProof("exp and iat must be numbers")
        if expires + CLOCK_SKEW_SECONDS <= now:
            raise InvalidProof("expired")
        if issued - CLOCK_SKEW_SECONDS > now:
            raise InvalidProof("issued in the future")
        return _proof_of(claims), float(expires)


def proof_verifier(public_key_file: Path | None, var_dir: Path) -> ProofVerifier:
    """A service's verifier: the configured public key, else the one the platform's gateway
    wrote under ``var_dir``; with neither, one that refuses every proof (and says so)."""
    path = public_key_file or var_dir / GATEWAY_PROOF_PUBLIC_KEY_FILE
    if not path.exists():
        log.warning("no gateway public key at %s: every identity will be refused", path)
        return ProofVerifier(())
    return ProofVerifier((load_public_key(path),))


def proof_signer(signing_key_file: Path | None, var_dir: Path) -> ProofSigner:
    """The gateway's signer: the configured key, else one made once under ``var_dir`` with
    its public half beside it for the services of the same machine."""
    if signing_key_file is not None:
        return ProofSigner(load_private_key(signing_key_file))
    key = ensure_key_pair(
        var_dir / GATEWAY_PROOF_KEY_FILE, var_dir / GATEWAY_PROOF_PUBLIC_KEY_FILE
    )
    return ProofSigner(key)


def _proof_of(claims: dict[str, object]) -> GatewayProof:
    address, subject = claims["addr"], claims.get("sub")
    if not isinstance(address, str):
        raise InvalidProof("addr is not a string")
    if subject is None:
        return GatewayProof(address, None)
    email, roles = claims.get("email", ""), claims.get("roles", [])
    if not isinstance(subject, str) or not subject or not isinstance(email, str):
        raise InvalidProof("sub and email must be strings")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidProof("roles must be a list of strings")
    return GatewayProof(address, Identity(user_id=subject, email=email, roles=tuple(roles)))
