"""Argon2PasswordHasher: argon2id through argon2-cffi, off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters; memory in KiB. Defaults: OWASP's first recommendation."""

    time_cost: int = 2
    memory_cost: int = 19456
    parallelism: int = 1
    hash_length: int = 32
    salt_length: int = 16


class Argon2PasswordHasher:
    """Hashes and verifies in worker threads, at most ``max_concurrency`` at a time.

    argon2 is meant to be slow and memory-hungry: on the event loop it would stall every
    other request, and unbounded it would let a burst of sign-ins take
    ``threads x memory_cost`` of RAM. The bound keeps that to ``max_concurrency`` hashes.
    """

    def __init__(self, parameters: Argon2Parameters, *, max_concurrency: int = 2) -> None:
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost,
            parallelism=parameters.parallelism,
            hash_len=parameters.hash_length,
            salt_len=parameters.salt_length,
            type=Type.ID,
        )
        self._max_concurrency = max_concurrency
        self._slots: asyncio.Semaphore | None = None

    async def hash(self, password: str) -> str:
        async with self._limit():
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._limit():
            return await asyncio.to_thread(self._verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            # VerifyMismatchError is a VerificationError; a corrupt stored hash is a
            # failed check too, never a 500 with the hash in a traceback.
            return False

    def _limit(self) -> asyncio.Semaphore:
        # Created on first use, inside the running loop that will await it.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_concurrency)
        return self._slots
