"""UserRegistered is written to the outbox in the sign-up's own transaction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.topics import USER_EVENTS
from commerce.contracts.users import UserRegistered
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.user.adapters.outbound.tables import outbox
from commerce.user.adapters.outbound.unit_of_work import SqlaUserUnitOfWork
from commerce.user.application.commands import RegisterUser
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.domain.email import Email
from commerce.user.domain.errors import EmailAlreadyRegistered
from tests.unit.user.fakes import FakePasswordHasher, new_user, random_ids

pytestmark = pytest.mark.integration


async def outbox_rows(database: Database) -> list[dict[str, object]]:
    async with database.connections() as session:
        result = await session.execute(select(outbox).order_by(outbox.c.id))
        return [dict(row._mapping) for row in result]


async def test_sign_up_queues_user_registered(database: Database) -> None:
    register = RegisterUserHandler(
        lambda: SqlaUserUnitOfWork(database.connections), FakePasswordHasher(), utc_now, random_ids
    )
    view = await register(RegisterUser(email="Ada@Example.com", password="long enough"))
    rows = await outbox_rows(database)
    assert len(rows) == 1
    row = rows[0]
    assert (row["topic"], row["message_key"], row["event_type"]) == (
        USER_EVENTS,
        view.id,
        "UserRegistered",
    )
    assert row["published_at"] is None
    envelope = EventEnvelope.from_json(str(row["payload"]))
    assert (envelope.id, envelope.source) == (row["event_id"], "user")
    assert parse_payload(envelope) == UserRegistered(user_id=view.id, email="ada@example.com")
    assert envelope.occurred_at == view.created_at
    assert isinstance(json.loads(str(row["headers"])), dict)


async def test_no_commit_no_event(database: Database) -> None:
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(
            new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
        )
    assert await outbox_rows(database) == []


async def test_a_refused_duplicate_queues_nothing(database: Database) -> None:
    register = RegisterUserHandler(
        lambda: SqlaUserUnitOfWork(database.connections), FakePasswordHasher(), utc_now, random_ids
    )
    await register(RegisterUser(email="ada@example.com", password="long enough"))
    async with SqlaUserUnitOfWork(database.connections) as uow:
        with pytest.raises(EmailAlreadyRegistered):
            await uow.users.add(
                new_user(email=Email.parse("ADA@example.com"), name=None, password_hash="h")
            )
        await uow.commit()
    assert len(await outbox_rows(database)) == 1


async def test_reading_and_rehashing_queue_nothing(database: Database) -> None:
    user = new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(user)
        await uow.commit()
    async with SqlaUserUnitOfWork(database.connections) as uow:
        loaded = await uow.users.get(user.id)
        assert loaded is not None
        loaded.replace_password_hash("h2")
        await uow.users.update_password_hash(loaded)
        await uow.commit()
    assert len(await outbox_rows(database)) == 1
