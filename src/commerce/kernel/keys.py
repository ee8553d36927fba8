"""Ed25519 key files: read, or made once on the first start (auth's token keys, the
gateway's proof key)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commerce.kernel.proof_files import GATEWAY_PROOF_KEY_FILE, GATEWAY_PROOF_PUBLIC_KEY_FILE

__all__ = [
    "GATEWAY_PROOF_KEY_FILE",
    "GATEWAY_PROOF_PUBLIC_KEY_FILE",
    "ensure_gateway_proof_keys",
    "ensure_key_pair",
    "load_or_create_private_key",
    "load_private_key",
    "load_public_key",
    "write_public_key",
]


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


def write_public_key(private_key: Ed25519PrivateKey, path: Path) -> None:
    """The public half of ``private_key`` as a PEM file at ``path`` (not secret)."""
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != pem:
        path.write_bytes(pem)


def ensure_key_pair(private_path: Path, public_path: Path) -> Ed25519PrivateKey:
    """The private key at ``private_path`` (made on first use) and its public half written
    to ``public_path``."""
    key = load_or_create_private_key(private_path)
    write_public_key(key, public_path)
    return key


def ensure_gateway_proof_keys(directory: Path) -> Ed25519PrivateKey:
    """The gateway's proof key pair in ``directory`` (docs/adr/0038), made on first use."""
    return ensure_key_pair(
        directory / GATEWAY_PROOF_KEY_FILE, directory / GATEWAY_PROOF_PUBLIC_KEY_FILE
    )
