from datetime import UTC, datetime

import pytest

from commerce.user.application.commands import RegisterUser
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.bootstrap import new_user_id
from commerce.user.domain.email import Email
from commerce.user.domain.errors import (
    EmailAlreadyRegistered,
    InvalidEmail,
    InvalidName,
    InvalidPassword,
)
from commerce.user.domain.user import UserRegistered
from tests.unit.user.fakes import (
    FakePasswordHasher,
    FakeUnitOfWorkFactory,
    fixed_clock,
    new_user,
    sequential_ids,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def register(uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher) -> RegisterUserHandler:
    return RegisterUserHandler(uows, hasher, fixed_clock, sequential_ids())


async def test_registers_a_user_with_normalised_email_and_hashed_password(
    register: RegisterUserHandler, uows: FakeUnitOfWorkFactory
) -> None:
    view = await register(RegisterUser(email=" Ada@Example.COM ", password=PASSWORD, name=" Ada "))
    assert (view.email, view.name, view.roles) == ("ada@example.com", "Ada", ("USER",))
    stored = uows.store[view.id]
    assert stored.email == Email("ada@example.com")
    assert stored.password_hash == f"fake$v1${PASSWORD}"
    assert stored.created_at == view.created_at
    assert uows.commits == 1


async def test_the_id_and_time_come_from_the_use_case_ports(
    uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher
) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    register = RegisterUserHandler(uows, hasher, lambda: now, lambda: "u-given")
    view = await register(RegisterUser(email="ada@example.com", password=PASSWORD))
    assert (view.id, view.created_at) == ("u-given", now)
    assert uows.store["u-given"].created_at == now


def test_the_service_draws_random_uuids() -> None:
    first, second = new_user_id(), new_user_id()
    assert len(first) == 36 and first != second


async def test_the_unit_of_work_that_adds_the_user_sees_it_with_user_registered(
    register: RegisterUserHandler, uows: FakeUnitOfWorkFactory
) -> None:
    view = await register(RegisterUser(email="ada@example.com", password=PASSWORD))
    adding = uows.made[-1].users
    assert [user.id for user in adding.seen] == [view.id]
    assert [type(event) for event in adding.seen[0].pull_events()] == [UserRegistered]


async def test_name_is_optional(register: RegisterUserHandler) -> None:
    view = await register(RegisterUser(email="ada@example.com", password=PASSWORD))
    assert view.name is None


async def test_taken_email_in_another_case_is_a_conflict_without_hashing(
    register: RegisterUserHandler, uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher
) -> None:
    await register(RegisterUser(email="ada@example.com", password=PASSWORD))
    with pytest.raises(EmailAlreadyRegistered):
        await register(RegisterUser(email="ADA@example.com", password="another password"))
    assert hasher.hashed == [PASSWORD]
    assert len(uows.store) == 1


async def test_conflict_found_only_at_insert_still_raises(
    uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher
) -> None:
    """The race: the early lookup saw nothing, the insert finds the e-mail taken."""

    class LateConflictHasher(FakePasswordHasher):
        async def hash(self, password: str) -> str:
            # Another sign-up commits the same e-mail while we are hashing.
            rival = new_user(email=Email("ada@example.com"), name=None, password_hash="x")
            uows.store[rival.id] = rival
            return await super().hash(password)

    register = RegisterUserHandler(uows, LateConflictHasher(), fixed_clock, sequential_ids())
    with pytest.raises(EmailAlreadyRegistered):
        await register(RegisterUser(email="ada@example.com", password=PASSWORD))
    assert len(uows.store) == 1
    assert uows.commits == 0


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (RegisterUser(email="not-an-email", password=PASSWORD), InvalidEmail),
        (RegisterUser(email="ada@example.com", password="short"), InvalidPassword),
        (RegisterUser(email="ada@example.com", password="x" * 129), InvalidPassword),
        (RegisterUser(email="ada@example.com", password=PASSWORD, name="  "), InvalidName),
    ],
)
async def test_invalid_input_writes_nothing(
    register: RegisterUserHandler,
    uows: FakeUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    command: RegisterUser,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await register(command)
    assert uows.store == {}
    assert hasher.hashed == []


def test_command_repr_hides_the_password() -> None:
    assert PASSWORD not in repr(RegisterUser(email="ada@example.com", password=PASSWORD))
