"""Signing keys on disk: generated once (0600) and kept, configured files, rotation keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from commerce.auth.adapters.outbound.keys import (
    SigningKey,
    load_key_set,
    load_or_create_private_key,
    public_jwk,
)

pytestmark = pytest.mark.integration


def write_private(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def write_public(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_a_generated_key_is_private_to_its_owner_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "auth-signing-key.pem"
    first = load_or_create_private_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_private_key(path)
    assert SigningKey.of(first).kid == SigningKey.of(second).kid
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging file left


def test_the_configured_key_file_wins_over_the_generated_one(tmp_path: Path) -> None:
    configured = write_private(tmp_path / "signing.pem", Ed25519PrivateKey.generate())
    keys = load_key_set(configured, tmp_path / "generated.pem", [])
    assert (
        keys.signing.kid
        == public_jwk(
            serialization.load_pem_private_key(configured.read_bytes(), None).public_key()  # type: ignore[arg-type]
        )["kid"]
    )
    assert not (tmp_path / "generated.pem").exists()


def test_extra_public_keys_are_published_for_rotation(tmp_path: Path) -> None:
    old, older = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    extra = [
        write_public(tmp_path / "old.pub.pem", old),
        write_private(tmp_path / "older.pem", older),
    ]
    keys = load_key_set(None, tmp_path / "generated.pem", extra)
    kids = [jwk["kid"] for jwk in keys.jwks()["keys"]]
    assert kids == [
        keys.signing.kid,
        public_jwk(old.public_key())["kid"],
        public_jwk(older.public_key())["kid"],
    ]


def test_a_key_of_another_type_is_refused(tmp_path: Path) -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa.pem"
    path.write_bytes(
        rsa.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="not an Ed25519"):
        load_key_set(path, tmp_path / "generated.pem", [])
