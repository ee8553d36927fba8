"""The use cases over fakes: sign-in, limits, refresh rotation, reuse, races, sign-out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from commerce.auth.application.commands import LogIn, LogOut, Refresh
from commerce.auth.application.ports import UserServiceUnavailable
from commerce.auth.application.throttle import LoginRateLimited, LoginThrottle
from commerce.auth.bootstrap import build_use_cases
from commerce.auth.domain.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenExpired,
    RefreshTokenReused,
    RefreshUserUnknown,
    TokenFamilyRevoked,
)
from commerce.auth.domain.tokens import UserClaims, hash_token
from commerce.kernel.domain import DependencyUnavailable, RateLimited
from commerce.kernel.http.problems import status_for
from commerce.kernel.ratelimit import Decision, InMemoryRateLimiter, Rate
from tests.unit.auth.fakes import (
    ALICE,
    ALICE_PASSWORD,
    FakeClock,
    FakeDirectory,
    FakeIssuer,
    FakeTokenStore,
    FakeVerifier,
)

REFRESH_TTL = timedelta(days=14)


class World:
    def __init__(self, per_account: int = 100, per_address: int = 100) -> None:
        self.clock = FakeClock()
        self.verifier = FakeVerifier()
        self.verifier.add(ALICE, ALICE_PASSWORD)
        self.directory = FakeDirectory()
        self.directory.add(ALICE)
        self.issuer = FakeIssuer()
        self.store = FakeTokenStore()
        limiter = InMemoryRateLimiter(clock=lambda: self.clock().timestamp())
        self.use_cases = build_use_cases(
            verifier=self.verifier,
            directory=self.directory,
            issuer=self.issuer,
            store=self.store,
            throttle=LoginThrottle(
                limiter,
                per_account=Rate.per_minute(per_account),
                per_address=Rate.per_minute(per_address),
            ),
            clock=self.clock,
            refresh_ttl=REFRESH_TTL,
        )

    async def log_in(
        self, email: str = ALICE.email, password: str = ALICE_PASSWORD, address: str = "10.0.0.1"
    ):
        return await self.use_cases.log_in(LogIn(email, password, address))

    async def refresh(self, token: str):
        return await self.use_cases.refresh(Refresh(token))


@pytest.fixture
def world() -> World:
    return World()


async def test_log_in_returns_a_pair_and_starts_a_family(world: World) -> None:
    pair = await world.log_in()
    assert pair.token_type == "Bearer"
    assert pair.expires_in == 900
    assert pair.access_token.startswith("access:u-alice:")
    stored = await world.store.find(hash_token(pair.refresh_token))
    assert stored is not None
    assert stored.family.claims == ALICE
    assert stored.token.expires_at == world.clock() + REFRESH_TTL
    assert pair.refresh_expires_in == REFRESH_TTL.total_seconds()
    # Only the hash is kept.
    assert pair.refresh_token not in world.store.tokens


async def test_each_family_gets_a_new_random_id_named_in_its_access_tokens(
    world: World,
) -> None:
    first, second = await world.log_in(), await world.log_in()
    ids = []
    for pair in (first, second):
        stored = await world.store.find(hash_token(pair.refresh_token))
        assert stored is not None and len(stored.family.id) == 36
        assert pair.access_token.endswith(f":{stored.family.id}")
        ids.append(stored.family.id)
    assert ids[0] != ids[1]


async def test_refresh_secrets_are_random_and_long(world: World) -> None:
    first, second = await world.log_in(), await world.log_in()
    assert first.refresh_token != second.refresh_token
    assert len(first.refresh_token) >= 43


@pytest.mark.parametrize(
    ("email", "password"),
    [(ALICE.email, "wrong password"), ("nobody@example.com", ALICE_PASSWORD)],
)
async def test_wrong_password_and_unknown_email_are_one_error(
    world: World, email: str, password: str
) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        await world.log_in(email, password)
    assert caught.value.message == "The e-mail or password is incorrect."
    assert not world.store.families


async def test_user_service_down_is_not_a_wrong_password(world: World) -> None:
    world.verifier.down = True
    with pytest.raises(UserServiceUnavailable) as caught:
        await world.log_in()
    # The kernel's error family: answered 503 with Retry-After from its one table.
    assert isinstance(caught.value, DependencyUnavailable)
    assert status_for(caught.value) == 503


async def test_attempts_per_account_are_limited_across_addresses() -> None:
    world = World(per_account=3)
    for i in range(3):
        with pytest.raises(InvalidCredentials):
            await world.log_in(password="guess", address=f"10.0.0.{i}")
    with pytest.raises(RateLimited) as caught:
        # Even the right password, from a fresh address, in other letter case.
        await world.log_in(email=" ALICE@example.com", address="10.9.9.9")
    assert caught.value.retry_after_seconds == 20  # 3 per minute: one every 20 s
    assert caught.value.limit == "login_account"
    assert world.verifier.calls == 3  # the password was not even checked


async def test_attempts_per_address_are_limited_across_accounts() -> None:
    world = World(per_address=2)
    for i in range(2):
        with pytest.raises(InvalidCredentials):
            await world.log_in(email=f"user{i}@example.com")
    with pytest.raises(LoginRateLimited) as caught:
        await world.log_in()
    assert caught.value.limit == "login_address"
    # Another address is not affected.
    assert (await world.log_in(address="10.0.0.2")).access_token


async def test_ipv6_addresses_of_one_64_share_the_address_limit() -> None:
    world = World(per_address=2)
    for suffix in ("1", "2"):
        with pytest.raises(InvalidCredentials):
            await world.log_in(password="guess", address=f"2001:db8:5:6::{suffix}")
    with pytest.raises(LoginRateLimited) as caught:
        await world.log_in(address="2001:db8:5:6:ffff:ffff:ffff:ffff")
    assert caught.value.limit == "login_address"
    # The neighbouring /64 is another client.
    assert (await world.log_in(address="2001:db8:5:7::1")).access_token


class CountingLimiter(InMemoryRateLimiter):
    """Counts calls: each is one round trip on the Redis limiter."""

    calls = 0

    async def hit(self, key: str, rate: Rate) -> Decision:
        self.calls += 1
        return await super().hit(key, rate)

    async def hit_many(self, hits: Sequence[tuple[str, Rate]]) -> list[Decision]:
        self.calls += 1
        return await super().hit_many(hits)


async def test_both_limits_are_checked_in_one_limiter_call() -> None:
    limiter = CountingLimiter()
    throttle = LoginThrottle(
        limiter, per_account=Rate.per_minute(1), per_address=Rate.per_minute(100)
    )
    await throttle.check(ALICE.email, "10.0.0.1")
    with pytest.raises(LoginRateLimited):
        await throttle.check(ALICE.email, "10.0.0.1")
    assert limiter.calls == 2


async def test_a_refused_attempt_spends_neither_budget() -> None:
    world = World(per_account=1, per_address=3)
    await world.log_in()
    for _ in range(5):  # the account is at its limit: these spend nothing of the address's
        with pytest.raises(LoginRateLimited):
            await world.log_in()
    for i in range(2):
        with pytest.raises(InvalidCredentials):
            await world.log_in(email=f"user{i}@example.com")
    with pytest.raises(LoginRateLimited) as caught:
        await world.log_in(email="user9@example.com")
    assert caught.value.limit == "login_address"


async def test_when_both_limits_say_no_the_wait_satisfies_both() -> None:
    world = World(per_account=1, per_address=2)
    await world.log_in()
    with pytest.raises(InvalidCredentials):  # address: 2 of 2 spent, account: 1 of 1
        await world.log_in(email="bob@example.com")
    with pytest.raises(LoginRateLimited) as caught:
        await world.log_in()
    assert caught.value.limit == "login_address"
    assert caught.value.retry_after_seconds == 60  # the account's wait, the longer one
    world.clock.advance(seconds=caught.value.retry_after_seconds)
    assert (await world.log_in()).access_token


async def test_successful_attempts_count_too() -> None:
    world = World(per_account=2)
    await world.log_in()
    await world.log_in()
    with pytest.raises(RateLimited):
        await world.log_in()


async def test_the_limit_lifts_as_time_passes() -> None:
    world = World(per_account=1)
    await world.log_in()
    with pytest.raises(RateLimited) as caught:
        await world.log_in()
    world.clock.advance(seconds=caught.value.retry_after_seconds)
    assert (await world.log_in()).access_token


async def test_refresh_rotates_the_token(world: World) -> None:
    first = await world.log_in()
    world.clock.advance(minutes=10)
    second = await world.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.refresh_expires_in == REFRESH_TTL.total_seconds()  # the successor's life
    assert second.access_token.startswith(f"access:u-alice:{int(world.clock().timestamp())}:")
    assert session_of(second.access_token) == session_of(first.access_token)  # one sign-in
    third = await world.refresh(second.refresh_token)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


async def test_unknown_refresh_token_is_invalid(world: World) -> None:
    with pytest.raises(InvalidRefreshToken):
        await world.refresh("not-a-token")


async def test_reuse_revokes_the_family_and_the_newer_token_stops_working(world: World) -> None:
    first = await world.log_in()
    second = await world.refresh(first.refresh_token)
    with pytest.raises(RefreshTokenReused):
        await world.refresh(first.refresh_token)
    with pytest.raises(TokenFamilyRevoked):
        await world.refresh(second.refresh_token)


async def test_reuse_does_not_touch_other_families(world: World) -> None:
    stolen = await world.log_in()
    other_device = await world.log_in()
    await world.refresh(stolen.refresh_token)
    with pytest.raises(RefreshTokenReused):
        await world.refresh(stolen.refresh_token)
    assert (await world.refresh(other_device.refresh_token)).refresh_token


async def test_losing_a_concurrent_refresh_counts_as_reuse(world: World) -> None:
    pair = await world.log_in()
    world.store.lose_next_race = True
    with pytest.raises(RefreshTokenReused):
        await world.refresh(pair.refresh_token)
    stored = await world.store.find(hash_token(pair.refresh_token))
    assert stored is not None and stored.family.is_revoked


async def test_a_revocation_between_find_and_rotate_refuses_the_refresh(world: World) -> None:
    pair = await world.log_in()
    world.store.revoke_before_next_rotate = True
    with pytest.raises(TokenFamilyRevoked):
        await world.refresh(pair.refresh_token)
    # Nothing was issued: the presented token is still unused, its family revoked.
    stored = await world.store.find(hash_token(pair.refresh_token))
    assert stored is not None and stored.token.used_at is None and stored.family.is_revoked
    assert len(world.store.tokens) == 1


async def test_expired_refresh_token_is_refused(world: World) -> None:
    pair = await world.log_in()
    world.clock.advance(days=14)
    with pytest.raises(RefreshTokenExpired):
        await world.refresh(pair.refresh_token)


async def test_log_out_revokes_the_family(world: World) -> None:
    first = await world.log_in()
    second = await world.refresh(first.refresh_token)
    await world.use_cases.log_out(LogOut(second.refresh_token))
    with pytest.raises(TokenFamilyRevoked):
        await world.refresh(second.refresh_token)


async def test_log_out_with_an_unknown_token_is_quiet(world: World) -> None:
    assert await world.use_cases.log_out(LogOut("never-issued")) is None
    assert not world.store.families


# Issue 9, finding 6: the sign-in's access tokens must stop working too (ADR 0023).
def session_of(access_token: str) -> str:
    return access_token.rsplit(":", 1)[1]  # FakeIssuer writes the session id last


async def test_log_out_names_the_session_to_refuse_until_its_last_access_token_expires(
    world: World,
) -> None:
    pair = await world.log_in()
    other_sign_in = await world.log_in()
    world.clock.advance(minutes=3)
    revocation = await world.use_cases.log_out(LogOut(pair.refresh_token))
    assert revocation is not None
    assert revocation.session_id == session_of(pair.access_token)
    assert revocation.session_id != session_of(other_sign_in.access_token)
    assert revocation.until > world.clock().timestamp() + FakeIssuer.ttl_seconds


async def test_reuse_names_the_revoked_session(world: World) -> None:
    first = await world.log_in()
    await world.refresh(first.refresh_token)
    with pytest.raises(RefreshTokenReused) as reused:
        await world.refresh(first.refresh_token)
    assert reused.value.revocation is not None
    assert reused.value.revocation.session_id == session_of(first.access_token)


async def test_a_lost_race_names_the_revoked_session(world: World) -> None:
    pair = await world.log_in()
    world.store.lose_next_race = True
    with pytest.raises(RefreshTokenReused) as reused:
        await world.refresh(pair.refresh_token)
    assert reused.value.revocation is not None
    assert reused.value.revocation.session_id == session_of(pair.access_token)


# docs/adr/0126: a refresh carries the roles the user service holds now.
ALICE_STAFF = UserClaims(user_id=ALICE.user_id, email=ALICE.email, roles=("USER", "STAFF"))


async def test_refresh_issues_the_roles_the_user_service_holds_now(world: World) -> None:
    pair = await world.log_in()
    world.directory.add(ALICE_STAFF)  # granted after the sign-in
    granted = await world.refresh(pair.refresh_token)
    assert world.issuer.issued[-1] == ALICE_STAFF
    assert world.directory.asked == [ALICE.user_id]
    world.directory.add(ALICE)  # revoked again
    await world.refresh(granted.refresh_token)
    assert world.issuer.issued[-1].roles == ("USER",)
    assert world.directory.asked == [ALICE.user_id, ALICE.user_id]


async def test_refresh_for_a_user_that_is_gone_revokes_the_family(world: World) -> None:
    pair = await world.log_in()
    del world.directory.users[ALICE.user_id]
    with pytest.raises(RefreshUserUnknown) as caught:
        await world.refresh(pair.refresh_token)
    assert caught.value.revocation is not None
    assert caught.value.revocation.session_id == session_of(pair.access_token)
    assert status_for(caught.value) == 401
    stored = await world.store.find(hash_token(pair.refresh_token))
    assert stored is not None and stored.family.is_revoked
    world.directory.add(ALICE)  # even if the user came back, the family stays revoked
    with pytest.raises(TokenFamilyRevoked):
        await world.refresh(pair.refresh_token)


async def test_user_service_down_at_refresh_leaves_the_token_usable(world: World) -> None:
    pair = await world.log_in()
    world.directory.down = True
    with pytest.raises(UserServiceUnavailable) as caught:
        await world.refresh(pair.refresh_token)
    assert status_for(caught.value) == 503
    stored = await world.store.find(hash_token(pair.refresh_token))
    assert stored is not None and stored.token.used_at is None
    assert not stored.family.is_revoked and len(world.store.tokens) == 1
    world.directory.down = False
    retried = await world.refresh(pair.refresh_token)  # not reuse: it was never used up
    assert retried.refresh_token != pair.refresh_token
    assert session_of(retried.access_token) == session_of(pair.access_token)


async def test_a_reused_token_is_refused_without_asking_the_user_service(world: World) -> None:
    first = await world.log_in()
    await world.refresh(first.refresh_token)
    world.directory.asked.clear()
    world.directory.down = True  # reuse detection must not depend on the user service
    with pytest.raises(RefreshTokenReused):
        await world.refresh(first.refresh_token)
    assert world.directory.asked == []
    stored = await world.store.find(hash_token(first.refresh_token))
    assert stored is not None and stored.family.is_revoked


async def test_expired_and_unknown_tokens_do_not_ask_the_user_service(world: World) -> None:
    pair = await world.log_in()
    with pytest.raises(InvalidRefreshToken):
        await world.refresh("not-a-token")
    world.clock.advance(days=14)
    with pytest.raises(RefreshTokenExpired):
        await world.refresh(pair.refresh_token)
    assert world.directory.asked == []
