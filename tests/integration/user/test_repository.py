"""SqlaUserRepository and its unit of work against a real SQLite file and MariaDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.user.adapters.outbound.tables import users
from commerce.user.adapters.outbound.unit_of_work import SqlaUserUnitOfWork
from commerce.user.application.commands import RegisterUser
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.domain.email import Email
from commerce.user.domain.errors import EmailAlreadyRegistered
from commerce.user.domain.user import User
from tests.unit.user.fakes import FakePasswordHasher, random_ids
from tests.unit.user.fakes import new_user as registered

pytestmark = pytest.mark.integration


def new_user(email: str = "ada@example.com", name: str | None = "Ada") -> User:
    return registered(email=Email.parse(email), name=name, password_hash="$argon2id$h")


async def count_users(database: Database) -> int:
    async with database.connections() as session:
        return int((await session.execute(select(func.count()).select_from(users))).scalar_one())


async def test_add_then_read_back_by_id_and_email(database: Database) -> None:
    user = new_user()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(user)
        await uow.commit()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(Email.parse("ADA@example.com"))
    for found in (by_id, by_email):
        assert found is not None
        assert (found.id, found.email, found.name) == (user.id, user.email, "Ada")
        assert (found.password_hash, found.roles) == ("$argon2id$h", ("USER",))
        # Microseconds and the UTC zone survive the round trip on both backends.
        assert found.created_at == user.created_at
        assert found.created_at.tzinfo == UTC


async def test_missing_users_are_none(database: Database) -> None:
    async with SqlaUserUnitOfWork(database.connections) as uow:
        assert await uow.users.get("no-such-id") is None
        assert await uow.users.get_by_email(Email.parse("nobody@example.com")) is None


async def test_without_commit_nothing_is_written(database: Database) -> None:
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(new_user())
    assert await count_users(database) == 0


async def test_unique_constraint_refuses_a_second_row_with_the_email(database: Database) -> None:
    """No lookup involved: the insert itself is refused by the database."""
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(new_user("ada@example.com"))
        await uow.commit()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        with pytest.raises(EmailAlreadyRegistered):
            await uow.users.add(new_user(" ADA@Example.com", name="Impostor"))
    assert await count_users(database) == 1


async def test_concurrent_inserts_of_one_email_let_exactly_one_commit(database: Database) -> None:
    """Two open transactions insert the same e-mail; whichever order, one wins."""
    first, second = new_user("race@example.com"), new_user("RACE@example.com")

    async def insert(user: User) -> str:
        async with SqlaUserUnitOfWork(database.connections) as uow:
            try:
                await uow.users.add(user)
            except EmailAlreadyRegistered:
                return "conflict"
            await uow.commit()
            return "created"

    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(first)
        # On MariaDB the rival's insert now waits on our uncommitted row's index lock;
        # on SQLite it waits for the write lock. Either way it runs while we hold ours.
        rival = asyncio.create_task(insert(second))
        await asyncio.sleep(0.1)
        await uow.commit()
    assert await rival == "conflict"
    assert await count_users(database) == 1


async def test_concurrent_sign_ups_past_the_early_lookup_give_one_user(
    database: Database,
) -> None:
    """Both sign-ups pass the lookup before either inserts: the constraint must decide."""
    both_hashing = asyncio.Barrier(2)

    class RendezvousHasher(FakePasswordHasher):
        async def hash(self, password: str) -> str:
            await both_hashing.wait()
            return await super().hash(password)

    register = RegisterUserHandler(
        lambda: SqlaUserUnitOfWork(database.connections), RendezvousHasher(), utc_now, random_ids
    )
    results = await asyncio.gather(
        register(RegisterUser(email="same@example.com", password="password one")),
        register(RegisterUser(email="SAME@example.com", password="password two")),
        return_exceptions=True,
    )
    assert sum(isinstance(result, EmailAlreadyRegistered) for result in results) == 1
    assert sum(not isinstance(result, BaseException) for result in results) == 1
    assert await count_users(database) == 1


async def test_update_password_hash(database: Database) -> None:
    user = new_user()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(user)
        await uow.commit()
    user.replace_password_hash("$argon2id$new")
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.update_password_hash(user)
        await uow.commit()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert stored.password_hash == "$argon2id$new"


async def test_naive_timestamps_are_refused(database: Database) -> None:
    user = new_user()
    user.created_at = datetime(2024, 1, 1)
    async with SqlaUserUnitOfWork(database.connections) as uow:
        with pytest.raises(Exception, match="naive"):
            await uow.users.add(user)
