"""Proof that a request came through the gateway, and whose it is (docs/adr/0038).

The gateway signs a short-lived assertion for every request it forwards: the client address
it decided, and the identity of the verified bearer token, if any. It travels in
``X-Gateway-Proof``. Services hold only the gateway's public key: they take identity and
client address from a proof that verifies, and from nothing else, so a caller that reaches a
service's port directly cannot claim anybody's identity (or a forged address) with headers.

A proof is the base64url of an Ed25519-signed message (libsodium, through PyNaCl), the
message being the claims as JSON. Not a JWT: the services would need PyJWT and
``cryptography`` for that, 9 MB each, where PyNaCl costs one.

Signing and verifying cost tens of microseconds; both are cached. The gateway reuses a proof
for the same identity and address for half its lifetime, and a service remembers a proof it
verified until it expires, so the usual request costs a dictionary look-up on each side.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from commerce.kernel.http.identity import Identity
from commerce.kernel.proof_files import GATEWAY_PROOF_PUBLIC_KEY_FILE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PROOF_HEADER = "X-Gateway-Proof"
PROOF_NAME = PROOF_HEADER.lower().encode()  # as ASGI and the gateway's raw headers carry it
ISSUER = "commerce-gateway"
AUDIENCE = "commerce-services"
LIFETIME_SECONDS = 60
CLOCK_SKEW_SECONDS = 5
# Bounds the caches: past it they start afresh (a burst of distinct callers costs a re-sign).
MAX_CACHED = 10_000
# The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key follows it.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")

Clock = Callable[[], float]
log = logging.getLogger("commerce.identity")


class InvalidProof(Exception):
    """Missing where required, unreadable, not signed by the gateway, or expired."""


@dataclass(frozen=True)
class GatewayProof:
    """What the gateway vouches for: the client's address and, when signed in, its identity."""

    client_address: str
    identity: Identity | None


def encode_proof(claims: dict[str, Any], key: SigningKey) -> bytes:
    """The proof for ``claims`` signed with ``key`` (the gateway's; tests sign forgeries)."""
    message = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(key.sign(message)).rstrip(b"=")


class ProofSigner:
    """The gateway's side: a signed proof per (identity, address), reused while fresh."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        lifetime_seconds: int = LIFETIME_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        self._key = SigningKey(private_key.private_bytes_raw())
        self._lifetime = lifetime_seconds
        self._clock = clock
        self._cache: dict[tuple[Identity | None, str], tuple[bytes, float]] = {}

    def proof(self, identity: Identity | None, client_address: str) -> bytes:
        now = self._clock()
        key = (identity, client_address)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now),
            "exp": int(now) + self._lifetime,
            "addr": client_address,
        }
        if identity is not None:
            claims.update(sub=identity.user_id, email=identity.email, roles=list(identity.roles))
        token = encode_proof(claims, self._key)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (token, now + self._lifetime / 2)
        return token


class ProofVerifier:
    """A service's side: the proof's content if the gateway signed it and it is fresh.

    ``public_keys`` are raw 32-byte Ed25519 keys (more than one while the gateway's key is
    being rotated). With none every proof is refused: identity then reaches no endpoint,
    which fails closed rather than trusting headers.
    """

    def __init__(self, public_keys: Iterable[bytes], *, clock: Clock = time.time) -> None:
        self._keys = tuple(VerifyKey(key) for key in public_keys)
        self._clock = clock
        self._cache: dict[bytes, tuple[GatewayProof, float]] = {}

    def verify(self, raw: bytes) -> GatewayProof:
        now = self._clock()
        cached = self._cache.get(raw)
        if cached is not None:
            if cached[1] + CLOCK_SKEW_SECONDS > now:
                return cached[0]
            del self._cache[raw]
        proof, expires = self._decode(raw, now)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[raw] = (proof, expires)
        return proof

    def _decode(self, raw: bytes, now: float) -> tuple[GatewayProof, float]:
        try:
            signed = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            raise InvalidProof("not base64url") from None
        message = None
        for key in self._keys:
            try:
                message = key.verify(signed)
                break
            except (BadSignatureError, ValueError):
                continue
        if message is None:
            raise InvalidProof("not signed by the gateway")
        try:
            claims = json.loads(message)
        except ValueError:
            raise InvalidProof("claims are not JSON") from None
        if not isinstance(claims, dict):
            raise InvalidProof("claims are not an object")
        if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
            raise InvalidProof("another issuer or audience")
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int | float) or not isinstance(issued, int | float):
            raise InvalidProof("exp and iat must be numbers")
        if expires + CLOCK_SKEW_SECONDS <= now:
            raise InvalidProof("expired")
        if issued - CLOCK_SKEW_SECONDS > now:
            raise InvalidProof("issued in the future")
        return _proof_of(claims), float(expires)


def raw_public_key(pem: bytes) -> bytes:
    """The 32 bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo, RFC 8410)."""
    lines = [line for line in pem.strip().splitlines() if not line.startswith(b"-----")]
    try:
        der = base64.b64decode(b"".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a PEM file") from None
    if len(der) != len(_ED25519_SPKI_PREFIX) + 32 or not der.startswith(_ED25519_SPKI_PREFIX):
        raise ValueError("not an Ed25519 public key")
    return der[len(_ED25519_SPKI_PREFIX) :]


def proof_verifier(public_key_file: Path | None, var_dir: Path) -> ProofVerifier:
    """A service's verifier: the configured public key, else the one the platform's gateway
    wrote under ``var_dir``; with neither, one that refuses every proof (and says so)."""
    path = public_key_file or var_dir / GATEWAY_PROOF_PUBLIC_KEY_FILE
    if not path.exists():
        log.warning("no gateway public key at %s: every identity will be refused", path)
        return ProofVerifier(())
    return ProofVerifier((raw_public_key(path.read_bytes()),))


def proof_signer(signing_key_file: Path | None, var_dir: Path) -> ProofSigner:
    """The gateway's signer: the configured key, else one made once under ``var_dir`` with
    its public half beside it for the services of the same machine."""
    # Here only: the gateway reads PEM keys with cryptography, which it loads anyway.
    from commerce.kernel.keys import ensure_gateway_proof_keys, load_private_key

    if signing_key_file is not None:
        return ProofSigner(load_private_key(signing_key_file))
    return ProofSigner(ensure_gateway_proof_keys(var_dir))


def _proof_of(claims: dict[str, Any]) -> GatewayProof:
    address, subject = claims.get("addr"), claims.get("sub")
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
