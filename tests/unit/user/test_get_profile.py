import pytest

from commerce.user.application.commands import GetProfile, RegisterUser
from commerce.user.application.get_profile import GetProfileHandler
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.domain.errors import UserNotFound
from tests.unit.user.fakes import (
    FakePasswordHasher,
    FakeUnitOfWorkFactory,
    fixed_clock,
    sequential_ids,
)


async def test_returns_the_profile_given_at_sign_up() -> None:
    uows = FakeUnitOfWorkFactory()
    created = await RegisterUserHandler(uows, FakePasswordHasher(), fixed_clock, sequential_ids())(
        RegisterUser(email="ada@example.com", password="long enough", name="Ada")
    )
    assert await GetProfileHandler(uows)(GetProfile(user_id=created.id)) == created


async def test_unknown_user_is_not_found() -> None:
    with pytest.raises(UserNotFound):
        await GetProfileHandler(FakeUnitOfWorkFactory())(GetProfile(user_id="missing"))
