"""The grant/revoke use cases over fakes: lookup by e-mail, commits, no-ops, races."""

from datetime import UTC, datetime

import pytest

from commerce.user.application.change_role import ATTEMPTS, GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.commands import FindUserByEmail, GrantRole, RevokeRole
from commerce.user.application.find_user import FindUserByEmailHandler
from commerce.user.domain.email import Email
from commerce.user.domain.errors import (
    InvalidEmail,
    RoleNotRevocable,
    RolesChangedConcurrently,
    UserNotFound,
)
from commerce.user.domain.roles import Role
from commerce.user.domain.user import User
from tests.unit.user.fakes import FakeUnitOfWorkFactory, new_user

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def with_ada() -> tuple[FakeUnitOfWorkFactory, User]:
    uows = FakeUnitOfWorkFactory()
    ada = new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
    uows.store[ada.id] = ada
    return uows, ada


async def test_grant_finds_the_user_in_any_case_and_commits_the_role() -> None:
    uows, ada = with_ada()
    change = await GrantRoleHandler(uows, lambda: NOW)(GrantRole("  ADA@Example.com", Role.STAFF))
    assert change.changed is True
    assert (change.user.id, change.user.roles) == (ada.id, ("USER", "STAFF"))
    assert uows.store[ada.id].roles == ("USER", "STAFF")
    assert uows.commits == 1


async def test_granting_a_held_role_commits_nothing() -> None:
    uows, _ = with_ada()
    change = await GrantRoleHandler(uows)(GrantRole("ada@example.com", Role.USER))
    assert (change.changed, change.user.roles) == (False, ("USER",))
    assert uows.commits == 0


async def test_revoke_commits_and_revoking_user_is_refused() -> None:
    uows, ada = with_ada()
    await GrantRoleHandler(uows)(GrantRole("ada@example.com", Role.ADMIN))
    change = await RevokeRoleHandler(uows)(RevokeRole("ada@example.com", Role.ADMIN))
    assert (change.changed, uows.store[ada.id].roles) == (True, ("USER",))
    with pytest.raises(RoleNotRevocable):
        await RevokeRoleHandler(uows)(RevokeRole("ada@example.com", Role.USER))
    assert uows.commits == 2


@pytest.mark.parametrize("email", ["bob@example.com", "not an e-mail"])
async def test_unknown_or_invalid_email(email: str) -> None:
    uows, _ = with_ada()
    with pytest.raises((UserNotFound, InvalidEmail)):
        await GrantRoleHandler(uows)(GrantRole(email, Role.STAFF))
    with pytest.raises((UserNotFound, InvalidEmail)):
        await FindUserByEmailHandler(uows)(FindUserByEmail(email))
    assert uows.commits == 0


async def test_a_lost_race_is_retried_on_a_fresh_read() -> None:
    uows, ada = with_ada()
    uows.role_conflicts.remaining = ATTEMPTS - 1
    change = await GrantRoleHandler(uows)(GrantRole("ada@example.com", Role.STAFF))
    assert change.changed is True
    assert uows.store[ada.id].roles == ("USER", "STAFF")
    assert uows.commits == 1


async def test_a_race_lost_every_time_is_reported() -> None:
    uows, ada = with_ada()
    uows.role_conflicts.remaining = ATTEMPTS
    with pytest.raises(RolesChangedConcurrently):
        await GrantRoleHandler(uows)(GrantRole("ada@example.com", Role.STAFF))
    assert uows.store[ada.id].roles == ("USER",)
    assert uows.commits == 0


async def test_find_user_by_email_shows_the_roles() -> None:
    uows, ada = with_ada()
    view = await FindUserByEmailHandler(uows)(FindUserByEmail("Ada@example.com"))
    assert (view.id, view.roles) == (ada.id, ("USER",))
