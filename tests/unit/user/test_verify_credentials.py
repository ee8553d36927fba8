import pytest

from commerce.user.application.commands import RegisterUser, VerifyCredentials
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.application.verify_credentials import VerifyCredentialsHandler
from commerce.user.application.views import UserView
from commerce.user.domain.errors import InvalidCredentials
from tests.unit.user.fakes import (
    FakePasswordHasher,
    FakeUnitOfWorkFactory,
    fixed_clock,
    sequential_ids,
)

PASSWORD = "correct horse battery staple"
DUMMY = "fake$v1$nobody knows this"


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
async def ada(uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher) -> UserView:
    register = RegisterUserHandler(uows, hasher, fixed_clock, sequential_ids())
    return await register(RegisterUser(email="ada@example.com", password=PASSWORD, name="Ada"))


@pytest.fixture
def verify(uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher) -> VerifyCredentialsHandler:
    return VerifyCredentialsHandler(uows, hasher, DUMMY)


async def test_right_password_returns_the_user(
    verify: VerifyCredentialsHandler, ada: UserView
) -> None:
    assert await verify(VerifyCredentials(email=" ADA@example.com", password=PASSWORD)) == ada


async def test_wrong_password_is_refused(
    verify: VerifyCredentialsHandler, ada: UserView, hasher: FakePasswordHasher
) -> None:
    with pytest.raises(InvalidCredentials) as wrong:
        await verify(VerifyCredentials(email=ada.email, password="not the password"))
    assert hasher.verified == [f"fake$v1${PASSWORD}"]
    assert wrong.value.message == "The e-mail or the password is wrong."


@pytest.mark.parametrize("email", ["nobody@example.com", "not an e-mail at all"])
async def test_unknown_email_costs_a_verification_against_the_dummy_hash(
    verify: VerifyCredentialsHandler, ada: UserView, hasher: FakePasswordHasher, email: str
) -> None:
    with pytest.raises(InvalidCredentials) as unknown:
        await verify(VerifyCredentials(email=email, password=PASSWORD))
    assert hasher.verified == [DUMMY]
    assert unknown.value.message == "The e-mail or the password is wrong."
    assert unknown.value.code == "invalid_credentials"


async def test_dummy_hash_never_lets_anyone_in(
    uows: FakeUnitOfWorkFactory, hasher: FakePasswordHasher
) -> None:
    verify = VerifyCredentialsHandler(uows, hasher, DUMMY)
    with pytest.raises(InvalidCredentials):
        await verify(VerifyCredentials(email="nobody@example.com", password="nobody knows this"))


async def test_outdated_hash_is_replaced_after_a_successful_check(
    uows: FakeUnitOfWorkFactory, ada: UserView
) -> None:
    stronger = FakePasswordHasher(version="v2")
    verify = VerifyCredentialsHandler(uows, stronger, DUMMY)
    await verify(VerifyCredentials(email=ada.email, password=PASSWORD))
    assert uows.store[ada.id].password_hash == f"fake$v2${PASSWORD}"
    # The new hash still verifies, and is not replaced again.
    commits = uows.commits
    await verify(VerifyCredentials(email=ada.email, password=PASSWORD))
    assert uows.commits == commits


async def test_current_hash_is_left_alone(
    verify: VerifyCredentialsHandler, ada: UserView, uows: FakeUnitOfWorkFactory
) -> None:
    commits = uows.commits
    await verify(VerifyCredentials(email=ada.email, password=PASSWORD))
    assert uows.commits == commits
    assert uows.store[ada.id].password_hash == f"fake$v1${PASSWORD}"


async def test_failed_check_never_rehashes(uows: FakeUnitOfWorkFactory, ada: UserView) -> None:
    stronger = FakePasswordHasher(version="v2")
    with pytest.raises(InvalidCredentials):
        await VerifyCredentialsHandler(uows, stronger, DUMMY)(
            VerifyCredentials(email=ada.email, password="wrong password")
        )
    assert stronger.hashed == []
    assert uows.store[ada.id].password_hash == f"fake$v1${PASSWORD}"
