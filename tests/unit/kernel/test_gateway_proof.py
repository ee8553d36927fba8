"""The gateway's proof: signed once per identity and address while fresh, checked once per
proof while valid, and never believed past its expiry or from another key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commerce.kernel.http.gateway_proof import (
    CLOCK_SKEW_SECONDS,
    LIFETIME_SECONDS,
    GatewayProof,
    InvalidProof,
    ProofSigner,
    ProofVerifier,
    proof_signer,
    proof_verifier,
    raw_public_key,
)
from commerce.kernel.http.identity import Identity
from commerce.kernel.keys import GATEWAY_PROOF_PUBLIC_KEY_FILE

ADA = Identity(user_id="u-1", email="ada@example.com", roles=("USER", "STAFF"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_proof_carries_identity_and_address(key: Ed25519PrivateKey, clock: Clock) -> None:
    signer = ProofSigner(key, clock=clock)
    verifier = ProofVerifier([key.public_key().public_bytes_raw()], clock=clock)
    assert verifier.verify(signer.proof(ADA, "198.51.100.7")) == GatewayProof("198.51.100.7", ADA)
    assert verifier.verify(signer.proof(None, "2001:db8::1")) == GatewayProof("2001:db8::1", None)


def test_the_signer_reuses_a_proof_for_half_its_life(key: Ed25519PrivateKey, clock: Clock) -> None:
    signer = ProofSigner(key, clock=clock)
    first = signer.proof(ADA, "10.0.0.1")
    assert signer.proof(ADA, "10.0.0.1") is first
    assert signer.proof(ADA, "10.0.0.2") != first  # another address, another proof
    clock.now += LIFETIME_SECONDS / 2 + 1
    assert signer.proof(ADA, "10.0.0.1") != first


def test_a_remembered_proof_is_refused_once_expired(key: Ed25519PrivateKey, clock: Clock) -> None:
    signer = ProofSigner(key, clock=clock)
    verifier = ProofVerifier([key.public_key().public_bytes_raw()], clock=clock)
    proof = signer.proof(ADA, "10.0.0.1")
    verifier.verify(proof)  # now cached
    clock.now += LIFETIME_SECONDS + CLOCK_SKEW_SECONDS + 1
    with pytest.raises(InvalidProof):
        verifier.verify(proof)


def test_only_the_configured_keys_are_believed(key: Ed25519PrivateKey, clock: Clock) -> None:
    other = Ed25519PrivateKey.generate()
    proof = ProofSigner(other, clock=clock).proof(ADA, "10.0.0.1")
    with pytest.raises(InvalidProof):
        ProofVerifier([key.public_key().public_bytes_raw()], clock=clock).verify(proof)
    with pytest.raises(InvalidProof):
        ProofVerifier([], clock=clock).verify(proof)
    # During a rotation both keys are configured.
    rotating = ProofVerifier(
        [key.public_key().public_bytes_raw(), other.public_key().public_bytes_raw()], clock=clock
    )
    assert rotating.verify(proof).identity == ADA


def test_the_services_read_the_public_key_file_the_gateway_writes(tmp_path: Path) -> None:
    signer = proof_signer(None, tmp_path)  # makes the pair, as the gateway does on one machine
    verifier = proof_verifier(None, tmp_path)
    assert verifier.verify(signer.proof(ADA, "10.0.0.1")).identity == ADA
    assert (tmp_path / GATEWAY_PROOF_PUBLIC_KEY_FILE).exists()


def test_a_service_with_no_key_file_refuses_every_proof(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidProof):
        proof_verifier(None, tmp_path).verify(ProofSigner(key).proof(ADA, "10.0.0.1"))


@pytest.mark.parametrize(
    "pem", [b"", b"not pem", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_a_file_that_is_not_an_ed25519_public_key_is_an_error(pem: bytes) -> None:
    with pytest.raises(ValueError):
        raw_public_key(pem)
