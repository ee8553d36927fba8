from datetime import UTC, datetime

import pytest

from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidName, InvalidPassword
from commerce.user.domain.password import Password, check_password_policy
from commerce.user.domain.user import User, UserRegistered, normalise_name

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def register(name: str | None = "Ada") -> User:
    return User.register(
        user_id="u-1",
        email=Email.parse("ada@example.com"),
        name=name,
        password_hash="h1",
        now=NOW,
    )


def test_register_keeps_the_given_id_and_time_with_default_roles() -> None:
    user = register()
    assert (user.id, user.created_at) == ("u-1", NOW)
    assert user.roles == ("USER",)


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


def test_a_chosen_password_keeps_the_policy_and_never_shows() -> None:
    password = Password.choose(" spaces count ")
    assert password.value == " spaces count "
    assert "spaces" not in repr(password)
    with pytest.raises(InvalidPassword):
        Password.choose("a" * 7)
