"""Both refresh token stores against the real thing: SQLite file, MariaDB and Redis.

Same contract for each: round trip, single use (compare-and-set), the race of two refreshes
of one token, revocation, and the use cases on top (reuse revokes the family).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from commerce.auth.application.commands import LogIn, LogOut, Refresh
from commerce.auth.application.ports import RefreshTokenStore, Rotation, StoredToken
from commerce.auth.application.throttle import LoginThrottle
from commerce.auth.application.use_cases import AuthUseCases
from commerce.auth.bootstrap import build_use_cases
from commerce.auth.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenReused,
    TokenFamilyRevoked,
)
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims, hash_token
from commerce.kernel.ratelimit import InMemoryRateLimiter, Rate
from tests.unit.auth.fakes import (
    ALICE_PASSWORD,
    FakeClock,
    FakeDirectory,
    FakeIssuer,
    FakeVerifier,
)

pytestmark = pytest.mark.integration

TTL = timedelta(days=14)


def now() -> datetime:
    # Whole milliseconds: the precision every store keeps.
    return datetime.now(UTC).replace(microsecond=0)


def claims() -> UserClaims:
    user = uuid.uuid4().hex
    return UserClaims(user_id=user, email=f"{user}@example.com", roles=("USER", "SELLER"))


def new_hash() -> str:
    return hash_token(uuid.uuid4().hex)


async def test_a_family_round_trips(store: RefreshTokenStore) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    found = await store.find(first.token_hash)
    assert found is not None
    assert found.token.token_hash == first.token_hash
    assert found.token.family_id == family.id
    assert found.token.issued_at == at and found.token.expires_at == at + TTL
    assert found.token.used_at is None
    assert found.family.id == family.id
    assert found.family.claims == family.claims
    assert found.family.created_at == at and found.family.revoked_at is None


async def test_an_unknown_hash_is_not_found(store: RefreshTokenStore) -> None:
    assert await store.find(new_hash()) is None


async def test_rotate_is_a_compare_and_set(store: RefreshTokenStore) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    successor = family.rotate(first, new_hash(), at + timedelta(seconds=5), TTL)
    assert await store.rotate(first, successor) is Rotation.ROTATED

    used = await store.find(first.token_hash)
    assert used is not None and used.token.used_at == at + timedelta(seconds=5)
    fresh = await store.find(successor.token_hash)
    assert fresh is not None and fresh.token.used_at is None
    assert fresh.token.expires_at == at + timedelta(seconds=5) + TTL

    # The same token again: refused, and nothing written.
    stale_copy = (await store.find(first.token_hash)).token  # type: ignore[union-attr]
    stale_copy.used_at = at + timedelta(seconds=9)
    other = family.rotate(fresh.token, new_hash(), at, TTL)
    other.token_hash = new_hash()
    assert await store.rotate(stale_copy, other) is Rotation.ALREADY_USED
    assert await store.find(other.token_hash) is None


async def test_two_concurrent_rotations_of_one_token_have_one_winner(
    store: RefreshTokenStore,
) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    # Both requests read the token before either writes: the store alone must decide.
    copies = [await store.find(first.token_hash) for _ in range(2)]
    successors = [c.family.rotate(c.token, new_hash(), at, TTL) for c in copies if c]
    results = await asyncio.gather(
        *(store.rotate(c.token, s) for c, s in zip(copies, successors, strict=True) if c)
    )
    assert sorted(r.value for r in results) == ["already_used", "rotated"]
    stored = [await store.find(s.token_hash) is not None for s in successors]
    assert stored == [r is Rotation.ROTATED for r in results]


async def test_revoking_a_family_is_idempotent(store: RefreshTokenStore) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    await store.revoke_family(family.id, at + timedelta(seconds=1))
    await store.revoke_family(family.id, at + timedelta(seconds=2))
    found = await store.find(first.token_hash)
    assert found is not None and found.family.revoked_at == at + timedelta(seconds=1)


async def test_revoking_an_unknown_family_leaves_the_others_alone(
    store: RefreshTokenStore,
) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    await store.revoke_family(str(uuid.uuid4()), at)
    found = await store.find(first.token_hash)
    assert found is not None and found.family.revoked_at is None
    successor = found.family.rotate(found.token, new_hash(), at, TTL)
    assert await store.rotate(found.token, successor) is Rotation.ROTATED


async def test_a_revocation_between_find_and_rotate_refuses_the_rotation(
    store: RefreshTokenStore,
) -> None:
    at = now()
    family, first = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(family, first)
    stale = await store.find(first.token_hash)
    # A logout (or another request's reuse detection) commits here, after our find.
    await store.revoke_family(family.id, at)
    assert stale is not None and not stale.family.is_revoked
    successor = stale.family.rotate(stale.token, new_hash(), at, TTL)
    assert await store.rotate(stale.token, successor) is Rotation.FAMILY_REVOKED
    # Nothing was written: no successor, and the presented token is still unused.
    assert await store.find(successor.token_hash) is None
    found = await store.find(first.token_hash)
    assert found is not None and found.token.used_at is None and found.family.is_revoked


def use_cases_on(
    store: RefreshTokenStore, user: UserClaims | None = None
) -> tuple[AuthUseCases, UserClaims]:
    user = user or claims()
    verifier = FakeVerifier()
    verifier.add(user, ALICE_PASSWORD)
    directory = FakeDirectory()
    directory.add(user)
    use_cases = build_use_cases(
        verifier=verifier,
        directory=directory,
        issuer=FakeIssuer(),
        store=store,
        throttle=LoginThrottle(
            InMemoryRateLimiter(),
            per_account=Rate.per_minute(100),
            per_address=Rate.per_minute(100),
        ),
        clock=FakeClock(now()),
        refresh_ttl=TTL,
    )
    return use_cases, user


class RevokedWhileInFlight:
    """A real store whose family is revoked, as by a concurrent logout, right after a find."""

    def __init__(self, store: RefreshTokenStore) -> None:
        self._store = store

    async def add_family(self, family: TokenFamily, first: RefreshToken) -> None:
        await self._store.add_family(family, first)

    async def find(self, token_hash: str) -> StoredToken | None:
        found = await self._store.find(token_hash)
        if found is not None:
            await self._store.revoke_family(found.family.id, now())
        return found

    async def rotate(self, used: RefreshToken, successor: RefreshToken) -> Rotation:
        return await self._store.rotate(used, successor)

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._store.revoke_family(family_id, at)


async def test_a_logout_during_a_refresh_wins_on_a_real_store(store: RefreshTokenStore) -> None:
    use_cases, user = use_cases_on(store)
    pair = await use_cases.log_in(LogIn(user.email, ALICE_PASSWORD, "127.0.0.1"))
    in_flight, _ = use_cases_on(RevokedWhileInFlight(store), user)
    with pytest.raises(TokenFamilyRevoked):
        await in_flight.refresh(Refresh(pair.refresh_token))
    found = await store.find(hash_token(pair.refresh_token))
    assert found is not None and found.token.used_at is None and found.family.is_revoked


async def test_reuse_revokes_the_family_on_a_real_store(store: RefreshTokenStore) -> None:
    use_cases, user = use_cases_on(store)
    first = await use_cases.log_in(LogIn(user.email, ALICE_PASSWORD, "127.0.0.1"))
    second = await use_cases.refresh(Refresh(first.refresh_token))
    with pytest.raises(RefreshTokenReused):
        await use_cases.refresh(Refresh(first.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await use_cases.refresh(Refresh(second.refresh_token))


async def test_concurrent_refreshes_of_one_token_one_succeeds_and_the_family_dies(
    store: RefreshTokenStore,
) -> None:
    use_cases, user = use_cases_on(store)
    pair = await use_cases.log_in(LogIn(user.email, ALICE_PASSWORD, "127.0.0.1"))
    outcomes = await asyncio.gather(
        *(use_cases.refresh(Refresh(pair.refresh_token)) for _ in range(2)),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], RefreshTokenReused)
    # The loser was treated as reuse: the winner's new token is dead too.
    with pytest.raises(InvalidRefreshToken):
        await use_cases.refresh(Refresh(winners[0].refresh_token))


async def test_log_out_revokes_on_a_real_store(store: RefreshTokenStore) -> None:
    use_cases, user = use_cases_on(store)
    pair = await use_cases.log_in(LogIn(user.email, ALICE_PASSWORD, "127.0.0.1"))
    await use_cases.log_out(LogOut(pair.refresh_token))
    await use_cases.log_out(LogOut(pair.refresh_token))
    with pytest.raises(InvalidRefreshToken):
        await use_cases.refresh(Refresh(pair.refresh_token))


@pytest.mark.parametrize("store_kind", ["sqlite", "mariadb"], indirect=True)
async def test_sql_purge_forgets_expired_tokens_and_empty_families(
    store: RefreshTokenStore,
) -> None:
    from sqlalchemy import select

    from commerce.auth.adapters.outbound.sql_tables import token_families
    from commerce.auth.adapters.outbound.sql_token_store import SqlaRefreshTokenStore

    assert isinstance(store, SqlaRefreshTokenStore)
    at = now()
    old_family, old = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at - 3 * TTL, TTL)
    live_family, live = TokenFamily.start(str(uuid.uuid4()), claims(), new_hash(), at, TTL)
    await store.add_family(old_family, old)
    await store.add_family(live_family, live)
    assert await store.purge_expired(at) >= 1
    assert await store.find(old.token_hash) is None
    assert await store.find(live.token_hash) is not None
    # The old family row went with its last token; the live one stays.
    async with store._connections() as session:
        ids = set((await session.execute(select(token_families.c.id))).scalars())
    assert old_family.id not in ids and live_family.id in ids
