"""The gateway's proof of identity, as tests need it: one key pair for the whole run.

The root conftest points every service (``<SERVICE>_GATEWAY_PUBLIC_KEY_FILE``) and the
gateway (``GATEWAY_PROOF_SIGNING_KEY_FILE``) at this pair, so a service app under test
believes exactly the headers :func:`as_user` makes, as it would the gateway's.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commerce.kernel.http.gateway_proof import PROOF_HEADER, ProofSigner, ProofVerifier
from commerce.kernel.http.identity import Identity
from commerce.kernel.keys import write_public_key

KEY = Ed25519PrivateKey.generate()
# Long-lived, so that headers built once per module stay valid for the whole run.
SIGNER = ProofSigner(KEY, lifetime_seconds=24 * 3600)
_KEYS = Path(tempfile.mkdtemp(prefix="commerce-test-proof-"))
atexit.register(shutil.rmtree, _KEYS, ignore_errors=True)
PRIVATE_KEY_FILE = _KEYS / "gateway-proof.key"
PUBLIC_KEY_FILE = _KEYS / "gateway-proof.pub"
PRIVATE_KEY_FILE.write_bytes(
    KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
)
write_public_key(KEY, PUBLIC_KEY_FILE)


SERVICES = ("USER", "AUTH", "PRODUCT", "ORDER", "PAYMENT", "CART")


def proof_environment() -> dict[str, str]:
    """The settings that make every service believe this run's proofs."""
    env = {f"{name}_GATEWAY_PUBLIC_KEY_FILE": str(PUBLIC_KEY_FILE) for name in SERVICES}
    env["GATEWAY_PROOF_SIGNING_KEY_FILE"] = str(PRIVATE_KEY_FILE)
    return env


def as_user(
    user_id: str, email: str = "", roles: str = "USER", *, address: str = "127.0.0.1"
) -> dict[str, str]:
    """The headers the gateway sends for a signed-in user: ``X-User-*`` and the proof."""
    identity = Identity(user_id=user_id, email=email, roles=tuple(r for r in roles.split(",") if r))
    return {**identity.as_headers(), PROOF_HEADER: proof(identity, address)}


def anonymous(address: str = "127.0.0.1") -> dict[str, str]:
    """The proof the gateway sends with a request that has no bearer token."""
    return {PROOF_HEADER: proof(None, address)}


def proof(identity: Identity | None, address: str = "127.0.0.1") -> str:
    return SIGNER.proof(identity, address).decode("ascii")


# For apps built by hand in tests (``create_service_app(proofs=VERIFIER)``).
VERIFIER = ProofVerifier((KEY.public_key().public_bytes_raw(),))
