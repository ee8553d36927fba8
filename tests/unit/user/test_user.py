from datetime import UTC

import pytest

from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidName, InvalidPassword
from commerce.user.domain.password import check_password_policy
from commerce.user.domain.user import User, UserRegistered, normalise_name


def register(name: str | None = "Ada") -> User:
    return User.register(email=Email.parse("ada@example.com"), name=name, password_hash="h1")


def test_register_gives_an_id_default_roles_and_a_utc_timestamp() -> None:
    user = register()
    assert len(user.id) == 36
    assert user.roles == ("USER",)
    assert user.created_at.tzinfo == UTC
    assert register().id != user.id


def test_register_records_user_registered() -> None:
    user = register()
    events = user.pull_events()
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, UserRegistered)
    assert (event.user_id, event.email) == (user.id, "ada@example.com")
    assert event.occurred_at == user.created_at
    assert user.pull_events() == []


def test_replace_password_hash() -> None:
    user = register()
    user.replace_password_hash("h2")
    assert user.password_hash == "h2"


def test_repr_never_shows_the_hash() -> None:
    assert "h1" not in repr(register())


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), ("  Ada  ", "Ada"), ("A" * 100, "A" * 100)]
)
def test_names_are_trimmed(raw: str | None, expected: str | None) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "A" * 101, "Ada\x00", "line\nbreak"])
def test_bad_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidName):
        normalise_name(raw)


@pytest.mark.parametrize("password", ["a" * 8, "a" * 128, "비밀번호비밀번호"])
def test_password_policy_accepts_8_to_128_characters(password: str) -> None:
    check_password_policy(password)


@pytest.mark.parametrize("password", ["", "a" * 7, "a" * 129])
def test_password_policy_refuses_other_lengths(password: str) -> None:
    with pytest.raises(InvalidPassword):
        check_password_policy(password)
