"""The credential check behind sign-in (called by the auth service only)."""

from __future__ import annotations

from commerce.user.application.commands import VerifyCredentials
from commerce.user.application.ports import PasswordHasher, UnitOfWorkFactory
from commerce.user.application.views import UserView
from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidCredentials, InvalidEmail
from commerce.user.domain.user import User


class VerifyCredentialsHandler:
    """The user whose e-mail and password these are, else InvalidCredentials.

    An unknown e-mail costs the same hash verification as a wrong password (against
    ``dummy_hash``, made with the current parameters), so neither the answer nor its timing
    tells an attacker which e-mails are registered. A successful check upgrades a hash made
    with older parameters.
    """

    def __init__(self, new_uow: UnitOfWorkFactory, hasher: PasswordHasher, dummy_hash: str) -> None:
        self._new_uow = new_uow
        self._hasher = hasher
        self._dummy_hash = dummy_hash

    async def __call__(self, command: VerifyCredentials) -> UserView:
        user = await self._find(command.email)
        if user is None:
            await self._hasher.verify(self._dummy_hash, command.password)
            raise InvalidCredentials()
        if not await self._hasher.verify(user.password_hash, command.password):
            raise InvalidCredentials()
        if self._hasher.needs_rehash(user.password_hash):
            await self._rehash(user, command.password)
        return UserView.of(user)

    async def _find(self, raw_email: str) -> User | None:
        try:
            email = Email.parse(raw_email)
        except InvalidEmail:
            return None
        async with self._new_uow() as uow:
            return await uow.users.get_by_email(email)

    async def _rehash(self, user: User, password: str) -> None:
        user.replace_password_hash(await self._hasher.hash(password))
        async with self._new_uow() as uow:
            await uow.users.update_password_hash(user)
            await uow.commit()
