"""Granting and revoking roles on a real database: the roles column and the outbox row are
written in one transaction, and a concurrent change is never lost."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.topics import USER_EVENTS
from commerce.contracts.users import UserRoleGranted, UserRoleRevoked
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.user.adapters.outbound.tables import outbox, users
from commerce.user.adapters.outbound.unit_of_work import SqlaUserUnitOfWork
from commerce.user.application.change_role import GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.commands import GrantRole, RevokeRole
from commerce.user.domain.email import Email
from commerce.user.domain.errors import RoleNotRevocable, RolesChangedConcurrently
from commerce.user.domain.roles import Role
from commerce.user.domain.user import User
from tests.unit.user.fakes import new_user

pytestmark = pytest.mark.integration


async def registered(database: Database, email: str = "ada@example.com") -> User:
    user = new_user(email=Email.parse(email), name=None, password_hash="h")
    async with SqlaUserUnitOfWork(database.connections) as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def stored_roles(database: Database, user_id: str) -> str:
    async with database.connections() as session:
        query = select(users.c.roles).where(users.c.id == user_id)
        return str((await session.execute(query)).scalar_one())


async def role_events(database: Database) -> list[object]:
    async with database.connections() as session:
        query = select(outbox).where(outbox.c.event_type != "UserRegistered").order_by(outbox.c.id)
        rows = [row._mapping for row in await session.execute(query)]
    for row in rows:
        assert (row["topic"], row["published_at"]) == (USER_EVENTS, None)
    return [parse_payload(EventEnvelope.from_json(str(row["payload"]))) for row in rows]


def grant(database: Database) -> GrantRoleHandler:
    return GrantRoleHandler(lambda: SqlaUserUnitOfWork(database.connections))


def revoke(database: Database) -> RevokeRoleHandler:
    return RevokeRoleHandler(lambda: SqlaUserUnitOfWork(database.connections))


async def test_grant_and_revoke_write_the_roles_and_queue_their_events(
    database: Database,
) -> None:
    ada = await registered(database)
    await grant(database)(GrantRole("ADA@example.com", Role.ADMIN))
    await grant(database)(GrantRole("ada@example.com", Role.STAFF))
    assert await stored_roles(database, ada.id) == "USER,STAFF,ADMIN"
    await revoke(database)(RevokeRole("ada@example.com", Role.ADMIN))
    assert await stored_roles(database, ada.id) == "USER,STAFF"
    assert await role_events(database) == [
        UserRoleGranted(user_id=ada.id, role="ADMIN"),
        UserRoleGranted(user_id=ada.id, role="STAFF"),
        UserRoleRevoked(user_id=ada.id, role="ADMIN"),
    ]
    async with database.connections() as session:
        keys = (await session.execute(select(outbox.c.message_key))).scalars().all()
    assert set(keys) == {ada.id}


async def test_no_ops_and_refusals_queue_nothing(database: Database) -> None:
    ada = await registered(database)
    assert (await grant(database)(GrantRole("ada@example.com", Role.USER))).changed is False
    assert (await revoke(database)(RevokeRole("ada@example.com", Role.STAFF))).changed is False
    with pytest.raises(RoleNotRevocable):
        await revoke(database)(RevokeRole("ada@example.com", Role.USER))
    assert await stored_roles(database, ada.id) == "USER"
    assert await role_events(database) == []


async def test_without_commit_neither_the_role_nor_the_event(database: Database) -> None:
    ada = await registered(database)
    async with SqlaUserUnitOfWork(database.connections) as uow:
        user = await uow.users.get(ada.id)
        assert user is not None
        user.grant(Role.STAFF, utc_now())
        await uow.users.update_roles(user)
    assert await stored_roles(database, ada.id) == "USER"
    assert await role_events(database) == []


async def test_a_write_over_roles_changed_since_the_read_is_refused(database: Database) -> None:
    ada = await registered(database)
    async with SqlaUserUnitOfWork(database.connections) as late:
        stale = await late.users.get(ada.id)
        assert stale is not None
        # Someone else grants ADMIN and commits between our read and our write.
        await grant(database)(GrantRole("ada@example.com", Role.ADMIN))
        stale.grant(Role.STAFF, utc_now())
        with pytest.raises(RolesChangedConcurrently):
            await late.users.update_roles(stale)
    assert await stored_roles(database, ada.id) == "USER,ADMIN"


async def test_concurrent_grants_both_land(database: Database) -> None:
    emails = [f"user{n}@example.com" for n in range(4)]
    people = [await registered(database, email) for email in emails]
    await asyncio.gather(
        *(
            grant(database)(GrantRole(email, role))
            for email in emails
            for role in (Role.STAFF, Role.ADMIN)
        )
    )
    for person in people:
        assert await stored_roles(database, person.id) == "USER,STAFF,ADMIN"
    assert len(await role_events(database)) == 2 * len(emails)
