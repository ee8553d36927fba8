"""Ed25519 signing keys: loading, first-start generation, and the published JWK Set.

The ``kid`` of every key is its RFC 7638 JWK thumbprint, so it is derived from the key itself:
the same key always has the same ``kid`` and two different keys never share one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commerce.kernel.keys import load_or_create_private_key, load_private_key, load_public_key

ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The key's JWK (RFC 8037 OKP) with its thumbprint as ``kid``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    return {**members, "kid": thumbprint(members), "use": "sig", "alg": ALGORITHM}


def thumbprint(required_members: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    canonical = json.dumps(required_members, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        return cls(private_key=private_key, kid=public_jwk(private_key.public_key())["kid"])


@dataclass(frozen=True)
class KeySet:
    """The key we sign with and every public key we publish (it first, then older ones)."""

    signing: SigningKey
    published: tuple[Ed25519PublicKey, ...]

    def jwks(self) -> dict[str, Any]:
        keys: list[dict[str, str]] = []
        for public_key in (self.signing.private_key.public_key(), *self.published):
            jwk = public_jwk(public_key)
            if all(existing["kid"] != jwk["kid"] for existing in keys):
                keys.append(jwk)
        return {"keys": keys}


def load_key_set(
    signing_key_file: Path | None, generated_key_file: Path, extra_public: list[Path]
) -> KeySet:
    """The configured key, or the generated one; plus the extra public keys for rotation."""
    if signing_key_file is not None:
        private_key = load_private_key(signing_key_file)
    else:
        private_key = load_or_create_private_key(generated_key_file)
    published = tuple(load_public_key(path) for path in extra_public)
    return KeySet(signing=SigningKey.of(private_key), published=published)
