"""Ed25519 signing keys: loading, first-start generation, and the published JWK Set.

The ``kid`` of every key is its RFC 7638 JWK thumbprint, so it is derived from the key itself:
the same key always has the same ``kid`` and two different keys never share one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path.name} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file holding either the public or the private key."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path.name} is not an Ed25519 public key")
    return key


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``; on the very first start, a new one written there (mode 0600).

    The file is written aside and linked into place, so a concurrent starter either wins or
    reads the winner's complete key, never half a file.
    """
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    staging = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        os.link(staging, path)
    except FileExistsError:
        return load_private_key(path)
    finally:
        staging.unlink(missing_ok=True)
    return key


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
