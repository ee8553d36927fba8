"""Roles on the User aggregate: what grant and revoke change, refuse and record."""

from datetime import UTC, datetime

import pytest

from commerce.user.domain.email import Email
from commerce.user.domain.errors import RoleNotRevocable, UnknownRole
from commerce.user.domain.roles import Role, ordered, parse_role
from commerce.user.domain.user import User, UserRoleGranted, UserRoleRevoked
from tests.unit.user.fakes import new_user

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def registered() -> User:
    user = new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
    user.pull_events()
    return user


@pytest.mark.parametrize(
    ("raw", "role"), [("STAFF", Role.STAFF), ("staff", Role.STAFF), (" Admin ", Role.ADMIN)]
)
def test_role_names_are_read_in_any_case(raw: str, role: Role) -> None:
    assert parse_role(raw) is role


@pytest.mark.parametrize("raw", ["", "BOSS", "STAF", "USERS", "staff,admin"])
def test_unknown_role_names_are_refused(raw: str) -> None:
    with pytest.raises(UnknownRole, match="one of USER, STAFF, ADMIN"):
        parse_role(raw)


def test_grant_adds_the_role_and_records_the_event_at_now() -> None:
    user = registered()
    assert user.grant(Role.STAFF, NOW) is True
    assert user.roles == ("USER", "STAFF")
    assert user.pull_events() == [
        UserRoleGranted(user_id=user.id, role=Role.STAFF, occurred_at=NOW)
    ]


def test_roles_keep_the_contract_order_whatever_the_grant_order() -> None:
    user = registered()
    user.grant(Role.ADMIN, NOW)
    user.grant(Role.STAFF, NOW)
    assert user.roles == ("USER", "STAFF", "ADMIN")
    assert ordered({"ADMIN", "LEGACY", "USER"}) == ("USER", "ADMIN", "LEGACY")


@pytest.mark.parametrize("role", [Role.USER, Role.STAFF])
def test_granting_a_held_role_changes_and_records_nothing(role: Role) -> None:
    user = registered()
    user.grant(Role.STAFF, NOW)
    user.pull_events()
    assert user.grant(role, NOW) is False
    assert user.roles == ("USER", "STAFF")
    assert user.pull_events() == []


def test_revoke_removes_the_role_and_records_the_event() -> None:
    user = registered()
    user.grant(Role.STAFF, NOW)
    user.grant(Role.ADMIN, NOW)
    user.pull_events()
    assert user.revoke(Role.STAFF, NOW) is True
    assert user.roles == ("USER", "ADMIN")
    assert user.pull_events() == [
        UserRoleRevoked(user_id=user.id, role=Role.STAFF, occurred_at=NOW)
    ]


def test_revoking_a_role_not_held_changes_and_records_nothing() -> None:
    user = registered()
    assert user.revoke(Role.ADMIN, NOW) is False
    assert user.roles == ("USER",)
    assert user.pull_events() == []


def test_user_cannot_be_revoked() -> None:
    user = registered()
    user.grant(Role.STAFF, NOW)
    user.pull_events()
    with pytest.raises(RoleNotRevocable):
        user.revoke(Role.USER, NOW)
    assert user.roles == ("USER", "STAFF")
    assert user.pull_events() == []
