"""Sign-up: a new account with a hashed password."""

from __future__ import annotations

from commerce.kernel.ports import Clock, IdFactory
from commerce.user.application.commands import RegisterUser
from commerce.user.application.ports import PasswordHasher, UnitOfWorkFactory
from commerce.user.application.views import UserView
from commerce.user.domain.email import Email
from commerce.user.domain.errors import EmailAlreadyRegistered
from commerce.user.domain.password import Password
from commerce.user.domain.user import User, normalise_name


class RegisterUserHandler:
    """Registers a user; EmailAlreadyRegistered when the e-mail is taken in any case."""

    def __init__(
        self,
        new_uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        new_id: IdFactory,
    ) -> None:
        self._new_uow = new_uow
        self._hasher = hasher
        self._clock = clock
        self._new_id = new_id

    async def __call__(self, command: RegisterUser) -> UserView:
        email = Email.parse(command.email)
        password = Password.choose(command.password)
        name = normalise_name(command.name)
        # A cheap early answer for the common case, so a taken e-mail costs no hashing.
        # It decides nothing: the unique constraint behind users.add() does.
        async with self._new_uow() as uow:
            if await uow.users.get_by_email(email) is not None:
                raise EmailAlreadyRegistered()
        # Hash outside any transaction: no connection is held during the slow part.
        password_hash = await self._hasher.hash(password.value)
        user = User.register(
            user_id=self._new_id(),
            email=email,
            name=name,
            password_hash=password_hash,
            now=self._clock(),
        )
        async with self._new_uow() as uow:
            await uow.users.add(user)
            await uow.commit()
        return UserView.of(user)
