import pytest

from commerce.gateway.jwks import JwksCache, KeysUnavailable, algorithm_for_key, parse_jwks
from tests.unit.gateway.fakes import FakeClock, FakeJwksEndpoint
from tests.unit.gateway.keys import SigningKey, jwks


@pytest.fixture(scope="module")
def ed() -> SigningKey:
    return SigningKey("EdDSA")


def test_each_key_type_verifies_exactly_one_algorithm(ed: SigningKey) -> None:
    assert algorithm_for_key({"kty": "OKP", "crv": "Ed25519"}) == "EdDSA"
    assert algorithm_for_key({"kty": "EC", "crv": "P-256"}) == "ES256"
    assert algorithm_for_key({"kty": "RSA"}) == "RS256"
    assert algorithm_for_key({"kty": "EC", "crv": "P-384"}) is None
    assert algorithm_for_key({"kty": "oct", "k": "c2VjcmV0"}) is None
    assert algorithm_for_key({"kty": "OKP", "crv": "Ed25519", "alg": "HS256"}) is None


def test_unusable_entries_are_skipped(ed: SigningKey) -> None:
    document = {
        "keys": [
            ed.jwk(),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {**SigningKey("EdDSA").jwk(), "use": "enc"},
            {**SigningKey("EdDSA").jwk(), "kid": ""},
            {"kty": "OKP", "crv": "Ed25519", "x": "not base64!", "kid": "broken"},
            "not an object",
        ]
    }

    assert list(parse_jwks(document)) == [ed.kid]


def test_a_document_without_keys_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_jwks({"not": "a jwks"})


async def test_the_cache_refetches_when_stale(ed: SigningKey) -> None:
    clock, endpoint = FakeClock(), FakeJwksEndpoint(jwks(ed))
    cache = JwksCache(endpoint, max_age_seconds=60, min_refetch_seconds=5, clock=clock)

    assert (await cache.key(ed.kid)) is not None
    clock.advance(30)
    await cache.key(ed.kid)
    assert endpoint.fetches == 1
    clock.advance(31)
    await cache.key(ed.kid)
    assert endpoint.fetches == 2


async def test_readiness_needs_keys(ed: SigningKey) -> None:
    clock, endpoint = FakeClock(), FakeJwksEndpoint(None)
    cache = JwksCache(endpoint, max_age_seconds=60, min_refetch_seconds=5, clock=clock)

    with pytest.raises(KeysUnavailable):
        await cache.ensure()
    endpoint.document = jwks(ed)
    clock.advance(5)
    await cache.ensure()
    assert cache.has_keys
