"""Argon2PasswordHasher with the real argon2-cffi."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable

import pytest

from commerce.user.adapters.outbound.argon2_hasher import Argon2Parameters, Argon2PasswordHasher

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(Argon2Parameters())


async def test_hash_is_argon2id_with_the_configured_parameters(
    hasher: Argon2PasswordHasher,
) -> None:
    encoded = await hasher.hash(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in encoded
    assert await hasher.hash(PASSWORD) != encoded  # a fresh salt every time


async def test_verify(hasher: Argon2PasswordHasher) -> None:
    encoded = await hasher.hash(PASSWORD)
    assert await hasher.verify(encoded, PASSWORD) is True
    assert await hasher.verify(encoded, PASSWORD.upper()) is False
    assert await hasher.verify(encoded, "") is False


@pytest.mark.parametrize(
    "stored", ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "$2b$12$bcrypt"]
)
async def test_a_corrupt_stored_hash_is_a_failed_check(
    hasher: Argon2PasswordHasher, stored: str
) -> None:
    assert await hasher.verify(stored, PASSWORD) is False
    assert hasher.needs_rehash(stored) is True


async def test_needs_rehash_when_the_parameters_changed(hasher: Argon2PasswordHasher) -> None:
    current = await hasher.hash(PASSWORD)
    assert hasher.needs_rehash(current) is False
    stronger = Argon2PasswordHasher(Argon2Parameters(time_cost=3))
    assert stronger.needs_rehash(current) is True
    # The old hash still verifies under the new parameters, so sign-in can upgrade it.
    assert await stronger.verify(current, PASSWORD) is True


async def ticks_during(work: Awaitable[object]) -> int:
    """How often another coroutine got to run while ``work`` was awaited."""
    done = False
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await work
        return ticks
    finally:
        done = True
        await task


async def test_hashing_and_verifying_leave_the_event_loop_free(
    hasher: Argon2PasswordHasher,
) -> None:
    """Other coroutines keep running while argon2 works (in a thread, not on the loop)."""
    encoded = await hasher.hash(PASSWORD)
    assert await ticks_during(hasher.hash(PASSWORD)) > 1
    assert await ticks_during(hasher.verify(encoded, PASSWORD)) > 1


@pytest.mark.parametrize("password", ["nul\x00inside", "비밀번호" * 32, "emoji 🔐" * 16])
async def test_any_unicode_password_round_trips(
    hasher: Argon2PasswordHasher, password: str
) -> None:
    encoded = await hasher.hash(password)
    assert await hasher.verify(encoded, password) is True
    assert await hasher.verify(encoded, password[:-1]) is False


async def test_hashes_run_on_at_most_max_concurrency_threads_of_its_own() -> None:
    """Six concurrent checks share the hasher's two threads: a bounded, reused memory."""
    hasher = Argon2PasswordHasher(Argon2Parameters(memory_cost=1024), max_concurrency=2)
    threads: set[str] = set()
    running = 0
    most_at_once = 0
    counting = threading.Lock()

    def spy_verify(password_hash: str, password: str) -> bool:
        nonlocal running, most_at_once
        with counting:
            threads.add(threading.current_thread().name)
            running += 1
            most_at_once = max(most_at_once, running)
        try:
            time.sleep(0.02)  # long enough for the six to overlap if nothing bounded them
            return verify(password_hash, password)
        finally:
            with counting:
                running -= 1

    verify = hasher._verify
    hasher._verify = spy_verify  # type: ignore[method-assign]
    try:
        encoded = await hasher.hash(PASSWORD)
        results = await asyncio.gather(*(hasher.verify(encoded, PASSWORD) for _ in range(6)))
    finally:
        hasher.close()
    assert results == [True] * 6
    assert most_at_once == 2
    assert len(threads) == 2
    assert all(name.startswith("argon2") for name in threads)
