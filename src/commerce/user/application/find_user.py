"""A user by e-mail, for operators (``commerce users show``)."""

from __future__ import annotations

from commerce.user.application.commands import FindUserByEmail
from commerce.user.application.ports import UnitOfWorkFactory
from commerce.user.application.views import UserView
from commerce.user.domain.email import Email
from commerce.user.domain.errors import UserNotFound


class FindUserByEmailHandler:
    """The user with this e-mail (any case); UserNotFound if there is none."""

    def __init__(self, new_uow: UnitOfWorkFactory) -> None:
        self._new_uow = new_uow

    async def __call__(self, query: FindUserByEmail) -> UserView:
        email = Email.parse(query.email)
        async with self._new_uow() as uow:
            user = await uow.users.get_by_email(email)
        if user is None:
            raise UserNotFound()
        return UserView.of(user)
