"""Argon2PasswordHasher: argon2id through argon2-cffi, off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters; memory in KiB. Defaults: OWASP's first recommendation."""

    time_cost: int = 2
    memory_cost: int = 19456
    parallelism: int = 1
    hash_length: int = 32
    salt_length: int = 16


class Argon2PasswordHasher:
    """Hashes and verifies on its own ``max_concurrency`` threads, never on the event loop.

    argon2 is meant to be slow and memory-hungry: on the event loop it would stall every
    other request, and unbounded it would let a burst of sign-ins take
    ``threads x memory_cost`` of RAM. A pool of its own keeps that to ``max_concurrency``
    buffers, and always the same threads: glibc keeps each thread's freed 19 MiB buffer for
    its next hash, which costs ``max_concurrency x memory_cost`` of RAM for good but spares
    every hash the page faults of mapping fresh memory (a quarter of a sign-in's CPU when each
    buffer was given back; docs/adr/0013).
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
        self._threads = ThreadPoolExecutor(max_concurrency, thread_name_prefix="argon2")

    async def hash(self, password: str) -> str:
        return await self._off_loop(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._off_loop(self._verify, password_hash, password)

    def close(self) -> None:
        """Lets the threads end once the hashes under way are done."""
        self._threads.shutdown(wait=False, cancel_futures=True)

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

    async def _off_loop(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)
