"""The caller's own profile."""

from __future__ import annotations

from commerce.user.application.commands import GetProfile
from commerce.user.application.ports import UnitOfWorkFactory
from commerce.user.application.views import UserView
from commerce.user.domain.errors import UserNotFound


class GetProfileHandler:
    """The profile of ``user_id``; UserNotFound if the account no longer exists."""

    def __init__(self, new_uow: UnitOfWorkFactory) -> None:
        self._new_uow = new_uow

    async def __call__(self, query: GetProfile) -> UserView:
        async with self._new_uow() as uow:
            user = await uow.users.get(query.user_id)
        if user is None:
            raise UserNotFound()
        return UserView.of(user)
