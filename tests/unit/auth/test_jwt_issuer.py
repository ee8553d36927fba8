"""Access tokens: EdDSA signature, kid from the JWKS, claims, lifetime; JWK thumbprints."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commerce.auth.adapters.outbound.jwt_issuer import JwtAccessTokenIssuer
from commerce.auth.adapters.outbound.keys import KeySet, SigningKey, public_jwk, thumbprint
from tests.unit.auth.fakes import ALICE

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.of(Ed25519PrivateKey.generate())


SESSION = "6f1c2d3e-0000-4000-8000-00000000abcd"


def issuer(key: SigningKey, ttl: int = 900) -> JwtAccessTokenIssuer:
    return JwtAccessTokenIssuer(key, issuer="commerce-auth", audience="commerce", ttl_seconds=ttl)


def test_thumbprint_matches_rfc_8037_example() -> None:
    # RFC 8037, appendix A.3: the thumbprint of the example Ed25519 public key.
    members = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(members) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_public_jwk_carries_the_raw_key_and_its_thumbprint(key: SigningKey) -> None:
    public = key.private_key.public_key()
    jwk = public_jwk(public)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.urlsafe_b64decode(jwk["x"] + "=") == raw
    assert jwk["kid"] == key.kid == thumbprint({k: jwk[k] for k in ("crv", "kty", "x")})
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_token_verifies_with_the_published_key_and_carries_the_claims(key: SigningKey) -> None:
    token = issuer(key).issue(ALICE, NOW, session_id=SESSION)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] == key.kid
    [jwk] = KeySet(signing=key, published=()).jwks()["keys"]
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        token,
        public,
        algorithms=["EdDSA"],
        audience="commerce",
        issuer="commerce-auth",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == "u-alice"
    assert claims["email"] == "alice@example.com"
    assert claims["sid"] == SESSION  # what a sign-out revokes at the gateway (ADR 0023)
    assert claims["roles"] == ["USER"]
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["exp"] - claims["iat"] == 900
    assert len(claims["jti"]) >= 16


def test_each_token_has_its_own_jti(key: SigningKey) -> None:
    first, second = (
        issuer(key).issue(ALICE, NOW, session_id=SESSION),
        issuer(key).issue(ALICE, NOW, session_id=SESSION),
    )
    decode = {"algorithms": ["EdDSA"], "options": {"verify_signature": False}}
    assert jwt.decode(first, **decode)["jti"] != jwt.decode(second, **decode)["jti"]


def test_another_key_does_not_verify_the_token(key: SigningKey) -> None:
    token = issuer(key).issue(ALICE, datetime.now(UTC), session_id=SESSION)
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["EdDSA"], audience="commerce")


def test_an_expired_token_is_refused(key: SigningKey) -> None:
    token = issuer(key, ttl=60).issue(ALICE, datetime(2020, 1, 1, tzinfo=UTC), session_id=SESSION)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key.private_key.public_key(), algorithms=["EdDSA"], audience="commerce")


def test_jwks_lists_the_signing_key_first_then_the_extra_keys_once(key: SigningKey) -> None:
    old = Ed25519PrivateKey.generate().public_key()
    keys = KeySet(signing=key, published=(old, old, key.private_key.public_key())).jwks()
    kids = [jwk["kid"] for jwk in keys["keys"]]
    assert kids == [key.kid, public_jwk(old)["kid"]]
    assert json.loads(json.dumps(keys)) == keys
    assert all("d" not in jwk for jwk in keys["keys"])  # never the private part
