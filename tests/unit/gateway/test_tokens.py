import time

import pytest

from commerce.gateway.jwks import JwksCache, KeysUnavailable
from commerce.gateway.tokens import InvalidToken, TokenVerifier, bearer_token
from tests.unit.gateway.fakes import FakeClock, FakeJwksEndpoint
from tests.unit.gateway.keys import (
    AUDIENCE,
    ISSUER,
    SigningKey,
    claims,
    hmac_with_public_key,
    jwks,
    tampered,
    unsigned,
)


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {algorithm: SigningKey(algorithm) for algorithm in ("EdDSA", "ES256", "RS256")}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoint(keys: dict[str, SigningKey]) -> FakeJwksEndpoint:
    return FakeJwksEndpoint(jwks(*keys.values()))


@pytest.fixture
def cache(endpoint: FakeJwksEndpoint, clock: FakeClock) -> JwksCache:
    return JwksCache(endpoint, max_age_seconds=300, min_refetch_seconds=5, clock=clock)


@pytest.fixture
def verifier(cache: JwksCache) -> TokenVerifier:
    return TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=5)


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_a_token_signed_with_a_published_key_gives_its_identity(
    verifier: TokenVerifier, keys: dict[str, SigningKey], algorithm: str
) -> None:
    token = keys[algorithm].sign(
        claims(sub="u-42", email="a@example.com", roles=["USER", "SELLER"])
    )

    identity = await verifier.verify(token)

    assert identity.user_id == "u-42"
    assert identity.email == "a@example.com"
    assert identity.roles == ("USER", "SELLER")


async def test_a_tampered_payload_is_refused(
    verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    token = tampered(keys["EdDSA"].sign(), sub="someone-else", roles=["ADMIN"])

    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_alg_none_is_refused(verifier: TokenVerifier, keys: dict[str, SigningKey]) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(unsigned(claims(), kid=keys["EdDSA"].kid))


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_hs256_signed_with_the_public_key_as_secret_is_refused(
    verifier: TokenVerifier, keys: dict[str, SigningKey], algorithm: str
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(hmac_with_public_key(keys[algorithm], claims()))


async def test_an_algorithm_that_does_not_fit_the_key_is_refused(
    verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    # Signed with a real ES256 key, but names the kid of the Ed25519 key.
    token = keys["ES256"].sign(claims(), kid=keys["EdDSA"].kid)

    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_key_that_is_not_published_is_refused(verifier: TokenVerifier) -> None:
    stranger = SigningKey("EdDSA")

    with pytest.raises(InvalidToken):
        await verifier.verify(stranger.sign())


async def test_a_stranger_signing_under_a_known_kid_is_refused(
    verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    stranger = SigningKey("EdDSA", kid=keys["EdDSA"].kid)

    with pytest.raises(InvalidToken):
        await verifier.verify(stranger.sign())


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 60},
        {"iss": "someone-else"},
        {"aud": "another-audience"},
        {"iat": int(time.time()) + 3600},
        {"exp": None},
        {"iat": None},
        {"sub": None},
        {"iss": None},
        {"aud": None},
        {"roles": ["USER,ADMIN"]},
        {"sub": "line\nbreak"},
    ],
    # Stable ids (a time-dependent value is named, not printed): pytest-xdist's processes
    # must collect the same test names.
    ids=lambda changes: ",".join(
        f"{k}={'now-60' if k == 'exp' and v else 'now+3600' if k == 'iat' and v else v}"
        for k, v in changes.items()
    ),
)
async def test_bad_claims_are_refused(
    verifier: TokenVerifier, keys: dict[str, SigningKey], changes: dict
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(keys["EdDSA"].sign(claims(**changes)))


async def test_a_token_just_expired_within_the_leeway_is_still_accepted(
    verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    token = keys["EdDSA"].sign(claims(exp=int(time.time()) - 1))

    assert (await verifier.verify(token)).user_id == "user-1"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 10_000])
async def test_garbage_is_refused(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_an_unknown_kid_refetches_the_jwks_once_and_finds_a_rotated_key(
    verifier: TokenVerifier,
    endpoint: FakeJwksEndpoint,
    keys: dict[str, SigningKey],
    clock: FakeClock,
) -> None:
    await verifier.verify(keys["EdDSA"].sign())
    assert endpoint.fetches == 1
    clock.advance(6)
    rotated = SigningKey("EdDSA")
    endpoint.document = jwks(*keys.values(), rotated)

    identity = await verifier.verify(rotated.sign())

    assert identity.user_id == "user-1"
    assert endpoint.fetches == 2


async def test_random_kids_refetch_at_most_once_per_interval(
    verifier: TokenVerifier, endpoint: FakeJwksEndpoint, clock: FakeClock
) -> None:
    strangers = [SigningKey("EdDSA") for _ in range(20)]

    for stranger in strangers:
        with pytest.raises(InvalidToken):
            await verifier.verify(stranger.sign())
    assert endpoint.fetches == 1

    clock.advance(5)
    for stranger in strangers:
        with pytest.raises(InvalidToken):
            await verifier.verify(stranger.sign())
    assert endpoint.fetches == 2


async def test_known_keys_survive_a_failed_refetch(
    verifier: TokenVerifier,
    cache: JwksCache,
    endpoint: FakeJwksEndpoint,
    keys: dict[str, SigningKey],
    clock: FakeClock,
) -> None:
    await verifier.verify(keys["ES256"].sign())
    endpoint.down = True
    clock.advance(301)

    assert await cache.refresh() is False  # the background refresh fails

    assert (await verifier.verify(keys["ES256"].sign())).user_id == "user-1"
    assert endpoint.fetches == 2


async def test_old_keys_never_make_a_request_fetch(
    verifier: TokenVerifier,
    endpoint: FakeJwksEndpoint,
    keys: dict[str, SigningKey],
    clock: FakeClock,
) -> None:
    token = keys["EdDSA"].sign()
    await verifier.verify(token)
    clock.advance(3600)  # far past max_age: refreshing is the background task's job

    await verifier.verify(token)  # remembered
    await verifier.verify(keys["ES256"].sign())  # checked in full with a known key

    assert endpoint.fetches == 1


async def test_without_any_key_the_verifier_says_it_cannot_tell(
    verifier: TokenVerifier, endpoint: FakeJwksEndpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.down = True

    with pytest.raises(KeysUnavailable):
        await verifier.verify(keys["EdDSA"].sign())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc ", "abc"),
        ("Basic dXNlcjpwdw==", ""),
        ("Bearer", ""),
    ],
)
def test_bearer_token_parsing(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected


@pytest.fixture
def wall() -> FakeClock:
    return FakeClock(float(int(time.time())))


@pytest.fixture
def cached_verifier(cache: JwksCache, wall: FakeClock) -> TokenVerifier:
    return TokenVerifier(
        cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=5, cache_size=2, clock=wall
    )


async def test_a_verified_token_is_remembered_until_it_expires(
    cached_verifier: TokenVerifier, keys: dict[str, SigningKey], wall: FakeClock
) -> None:
    full_checks = []
    check = cached_verifier._verify_signed

    async def counting(token: str):  # type: ignore[no-untyped-def]
        full_checks.append(token)
        return await check(token)

    cached_verifier._verify_signed = counting  # type: ignore[method-assign]
    token = keys["EdDSA"].sign(claims(exp=int(wall.now) + 60))
    await cached_verifier.verify(token)

    wall.advance(60 + 5)
    assert (await cached_verifier.verify(token)).user_id == "user-1"  # within the leeway
    assert len(full_checks) == 1

    wall.advance(1)
    await cached_verifier.verify(token)  # past exp by our clock: checked in full again
    assert len(full_checks) == 2


async def test_a_remembered_token_is_checked_in_full_once_after_a_refetch(
    cached_verifier: TokenVerifier, cache: JwksCache, keys: dict[str, SigningKey]
) -> None:
    full_checks = []
    check = cached_verifier._verify_signed

    async def counting(token: str):  # type: ignore[no-untyped-def]
        full_checks.append(token)
        return await check(token)

    cached_verifier._verify_signed = counting  # type: ignore[method-assign]
    token = keys["EdDSA"].sign()
    await cached_verifier.verify(token)
    await cached_verifier.verify(token)
    assert len(full_checks) == 1

    await cache.refresh()
    await cached_verifier.verify(token)
    await cached_verifier.verify(token)

    assert len(full_checks) == 2


async def test_a_remembered_token_is_refused_once_its_key_left_the_jwks(
    cached_verifier: TokenVerifier,
    cache: JwksCache,
    endpoint: FakeJwksEndpoint,
    keys: dict[str, SigningKey],
) -> None:
    token = keys["EdDSA"].sign()
    await cached_verifier.verify(token)
    endpoint.document = jwks(keys["ES256"])  # the Ed25519 key was withdrawn
    await cache.refresh()  # the background refresh sees it gone

    with pytest.raises(InvalidToken):
        await cached_verifier.verify(token)


async def test_the_cache_holds_only_good_tokens_and_stays_bounded(
    cached_verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    bad = tampered(keys["EdDSA"].sign(), sub="x")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await cached_verifier.verify(bad)
    tokens = [keys["EdDSA"].sign(claims(sub=f"u-{i}")) for i in range(5)]
    for token in tokens:
        await cached_verifier.verify(token)

    assert len(cached_verifier._verified) == 2
    assert [entry.identity.user_id for entry in cached_verifier._verified.values()] == [
        "u-3",
        "u-4",
    ]


async def test_identity_of_an_authorization_header(
    verifier: TokenVerifier, keys: dict[str, SigningKey]
) -> None:
    token = keys["EdDSA"].sign(claims(sub="u-7", email="b@example.com", roles=["USER"]))
    assert await verifier.identity_of(None) is None
    first = await verifier.identity_of(f"Bearer {token}")
    again = await verifier.identity_of(f"bearer  {token} ")  # the cached identity
    assert first is not None and first.user_id == "u-7"
    assert again is first
    for malformed in (f"Basic {token}", "Bearer", "Bearer not-a-token"):
        with pytest.raises(InvalidToken):
            await verifier.identity_of(malformed)
