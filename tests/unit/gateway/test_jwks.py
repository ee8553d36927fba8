import asyncio
import logging

import pytest

from commerce.gateway.jwks import (
    JwksCache,
    JwksFetchError,
    KeysUnavailable,
    algorithm_for_key,
    parse_jwks,
)
from tests.unit.gateway.fakes import FakeClock, FakeJwksEndpoint, settle
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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def cache_of(endpoint: FakeJwksEndpoint, clock: FakeClock) -> JwksCache:
    return JwksCache(endpoint, max_age_seconds=60, min_refetch_seconds=5, clock=clock)


async def test_a_known_kid_is_a_lookup_that_never_fetches_however_old_the_keys(
    ed: SigningKey, clock: FakeClock
) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    cache = cache_of(endpoint, clock)
    await cache.refresh()

    clock.advance(3600)  # long past max_age: refreshing is the background task's business

    assert (await cache.key(ed.kid)) is cache.known(ed.kid) is not None
    assert endpoint.fetches == 1


async def test_a_lookup_never_waits_for_a_slow_scheduled_fetch(
    ed: SigningKey, clock: FakeClock
) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    cache = cache_of(endpoint, clock)
    await cache.refresh()
    clock.advance(61)  # the keys are due for their refresh
    endpoint.hold()  # auth hangs from now on
    scheduled = asyncio.create_task(cache.refresh())
    await settle(lambda: endpoint.fetches == 2)

    lookup = asyncio.create_task(cache.key(ed.kid))
    await asyncio.wait({lookup}, timeout=5)  # a bound for a broken cache, not an assertion

    # The lookup answered while the scheduled fetch was still hanging.
    assert lookup.done() and lookup.result() is not None
    assert endpoint.finished == 1 and not scheduled.done()
    endpoint.release()
    assert await scheduled is True


async def test_an_unknown_kid_refetches_in_one_flight_at_most_once_per_interval(
    ed: SigningKey, clock: FakeClock
) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    cache = cache_of(endpoint, clock)
    await cache.refresh()
    clock.advance(5)
    rotated = SigningKey("EdDSA")
    endpoint.document = jwks(ed, rotated)
    endpoint.hold()

    lookups = [asyncio.create_task(cache.key(rotated.kid)) for _ in range(10)]
    await settle(lambda: endpoint.fetches == 2)
    endpoint.release()
    found = await asyncio.gather(*lookups)

    assert all(key is not None and key.kid == rotated.kid for key in found)
    assert endpoint.fetches == 2  # ten lookups, one fetch
    for _ in range(20):
        assert (await cache.key("random-kid")) is None
    assert endpoint.fetches == 2  # within the interval: no fetch at all
    clock.advance(5)
    assert (await cache.key("random-kid")) is None
    assert endpoint.fetches == 3


async def test_an_unknown_kid_joins_a_scheduled_fetch_in_flight(
    ed: SigningKey, clock: FakeClock
) -> None:
    rotated = SigningKey("EdDSA")
    endpoint = FakeJwksEndpoint(jwks(ed, rotated))
    endpoint.hold()
    cache = cache_of(endpoint, clock)
    scheduled = asyncio.create_task(cache.refresh())
    await settle(lambda: endpoint.fetches == 1)

    lookup = asyncio.create_task(cache.key(rotated.kid))
    await settle(lambda: endpoint.fetches == 1 and not lookup.done())
    endpoint.release()

    assert (await lookup) is not None
    assert await scheduled is True
    assert endpoint.fetches == 1


class StopLoop(Exception):
    pass


class Sleeps:
    """Records the background task's waits; ends the loop after ``rounds``."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        if len(self.waits) == self.rounds:
            raise StopLoop
        self.waits.append(seconds)


async def test_the_background_task_refetches_every_max_age_and_sooner_after_a_failure(
    ed: SigningKey, clock: FakeClock
) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    cache = cache_of(endpoint, clock)
    await cache.refresh()
    rotated = SigningKey("EdDSA")
    endpoint.document = jwks(rotated)  # ed withdrawn, rotated published
    sleeps = Sleeps(rounds=1)

    with pytest.raises(StopLoop):
        await cache.keep_fresh(retry_seconds=2, sleep=sleeps)

    assert cache.known(rotated.kid) is not None
    assert cache.known(ed.kid) is None
    assert sleeps.waits == [60]

    endpoint.down = True
    sleeps = Sleeps(rounds=3)
    with pytest.raises(StopLoop):
        await cache.keep_fresh(retry_seconds=2, sleep=sleeps)

    assert sleeps.waits == [60, 2, 2]
    assert cache.known(rotated.kid) is not None  # a failed fetch keeps the known keys
    assert endpoint.fetches == 5


async def test_the_background_task_retries_soon_while_no_key_was_ever_fetched(
    ed: SigningKey, clock: FakeClock
) -> None:
    endpoint = FakeJwksEndpoint(None)
    cache = cache_of(endpoint, clock)
    sleeps = Sleeps(rounds=2)

    with pytest.raises(StopLoop):
        await cache.keep_fresh(retry_seconds=2, sleep=sleeps)

    assert sleeps.waits == [2, 2]
    with pytest.raises(KeysUnavailable):
        await cache.key(ed.kid)


async def test_a_failed_fetch_logs_a_safe_reason_and_a_bug_its_traceback(
    ed: SigningKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    endpoint.down = True
    endpoint.error = JwksFetchError("auth answered HTTP 503")
    cache = cache_of(endpoint, clock)

    with caplog.at_level(logging.WARNING, logger="commerce.gateway.jwks"):
        assert await cache.refresh() is False
        endpoint.error = KeyError("a bug")
        assert await cache.refresh() is False

    outage, bug = caplog.records
    assert "auth answered HTTP 503" in outage.getMessage()
    assert outage.exc_info is None
    assert bug.levelno == logging.ERROR and bug.exc_info is not None


async def test_closing_cancels_a_fetch_in_flight(ed: SigningKey, clock: FakeClock) -> None:
    endpoint = FakeJwksEndpoint(jwks(ed))
    endpoint.hold()
    cache = cache_of(endpoint, clock)
    waiting = asyncio.create_task(cache.refresh())
    await settle(lambda: endpoint.fetches == 1)

    await cache.aclose()

    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert endpoint.finished == 1  # the fetch itself was cancelled, not left hanging


async def test_readiness_needs_keys(ed: SigningKey, clock: FakeClock) -> None:
    endpoint = FakeJwksEndpoint(None)
    cache = JwksCache(endpoint, max_age_seconds=60, min_refetch_seconds=5, clock=clock)

    with pytest.raises(KeysUnavailable):
        await cache.ensure()
    endpoint.document = jwks(ed)
    clock.advance(5)
    await cache.ensure()
    assert cache.has_keys
