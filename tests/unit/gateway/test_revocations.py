"""Revoked sessions: a signed-out sign-in's access tokens are refused at once (ADR 0023)."""

from __future__ import annotations

import time

import pytest

from commerce.gateway.jwks import JwksCache
from commerce.gateway.revocations import RevokedSessions
from commerce.gateway.tokens import InvalidToken, TokenVerifier
from commerce.kernel.revocation import SessionRevocation, parse_revocation
from tests.unit.gateway.fakes import FakeClock, FakeJwksEndpoint
from tests.unit.gateway.keys import AUDIENCE, ISSUER, SigningKey, claims, jwks

SESSION = "0b7c7a52-8d1e-4f55-9d0e-3f2f0e4d9a11"
OTHER_SESSION = "5f0f0a52-0000-4f55-9d0e-3f2f0e4d9a11"
LEEWAY = 5.0


@pytest.fixture
def wall() -> FakeClock:
    return FakeClock(float(int(time.time())))  # tokens are also checked by the real clock


@pytest.fixture
def revoked(wall: FakeClock) -> RevokedSessions:
    return RevokedSessions(leeway_seconds=LEEWAY, clock=wall)


def test_a_session_is_refused_until_its_last_token_expired_and_then_forgotten(
    revoked: RevokedSessions, wall: FakeClock
) -> None:
    revoked.revoke(SessionRevocation(SESSION, until=int(wall.now) + 900))
    assert SESSION in revoked and OTHER_SESSION not in revoked

    wall.advance(900 + LEEWAY - 1)
    revoked.forget_expired()
    assert SESSION in revoked  # a token may still pass the expiry check within the leeway

    wall.advance(2)
    revoked.forget_expired()
    assert SESSION not in revoked and len(revoked) == 0


def test_only_news_is_passed_on_to_the_other_replicas(
    revoked: RevokedSessions, wall: FakeClock
) -> None:
    told: list[SessionRevocation] = []
    revoked.on_revoked = told.append
    first = SessionRevocation(SESSION, until=int(wall.now) + 900)
    revoked.revoke(first)
    revoked.revoke(first)  # a second sign-out of the same session
    revoked.revoke(SessionRevocation(SESSION, until=int(wall.now) - 60))  # long expired
    assert told == [first]
    assert revoked.learn(SessionRevocation(OTHER_SESSION, until=int(wall.now) + 10))
    assert told == [first]  # learnt from another replica: not echoed back


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"abc",
        b"not a session 12",
        b"0b7c 12 13",
        b"0b7c7a52 -5",
        b"0B7C 12",
        b"x" * 80 + b" 1",
    ],
)
def test_only_what_auth_writes_reads_as_a_revocation(value: bytes) -> None:
    assert parse_revocation(value) is None


def test_a_revocation_reads_back_as_written() -> None:
    revocation = SessionRevocation(SESSION, until=1_800_000_900)
    assert parse_revocation(revocation.header_value().encode()) == revocation


async def test_the_verifier_refuses_a_revoked_sessions_token_cached_or_not(
    revoked: RevokedSessions, wall: FakeClock
) -> None:
    key = SigningKey("EdDSA")
    cache = JwksCache(FakeJwksEndpoint(jwks(key)), max_age_seconds=300, min_refetch_seconds=5)
    verifier = TokenVerifier(
        cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=LEEWAY, revoked=revoked
    )
    exp = int(wall.now) + 900
    signed_out = key.sign(claims(sid=SESSION, exp=exp, iat=int(wall.now)))
    still_signed_in = key.sign(claims(sid=OTHER_SESSION, exp=exp, iat=int(wall.now)))
    never_seen = key.sign(claims(sid=SESSION, exp=exp, iat=int(wall.now), jti="another"))
    for token in (signed_out, still_signed_in):
        assert (await verifier.verify(token)).user_id == "user-1"
        assert verifier.cached(token) is not None

    revoked.revoke(SessionRevocation(SESSION, until=exp))

    assert verifier.cached(signed_out) is None
    with pytest.raises(InvalidToken, match="session revoked"):
        await verifier.verify(signed_out)
    with pytest.raises(InvalidToken, match="session revoked"):
        await verifier.verify(never_seen)  # not in the cache: refused after the signature
    assert verifier.cached(still_signed_in) is not None


async def test_a_sid_that_is_not_a_string_is_refused() -> None:
    key = SigningKey("EdDSA")
    cache = JwksCache(FakeJwksEndpoint(jwks(key)), max_age_seconds=300, min_refetch_seconds=5)
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=LEEWAY)
    with pytest.raises(InvalidToken, match="bad sid"):
        await verifier.verify(key.sign(claims(sid=["a", "b"])))
