"""Granting and revoking roles (an operator's command, not an HTTP route)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commerce.kernel.domain import utc_now
from commerce.kernel.ports import Clock
from commerce.user.application.commands import GrantRole, RevokeRole
from commerce.user.application.ports import UnitOfWorkFactory
from commerce.user.application.views import UserView
from commerce.user.domain.email import Email
from commerce.user.domain.errors import RolesChangedConcurrently, UserNotFound
from commerce.user.domain.user import User

# A concurrent change of the same user's roles is rare (two operators at once); a few
# re-reads settle it, and a change that keeps losing is reported rather than looped on.
ATTEMPTS = 3


@dataclass(frozen=True)
class RoleChange:
    """The user after the command, and whether it changed anything (no event if not)."""

    user: UserView
    changed: bool


async def _change(
    new_uow: UnitOfWorkFactory, raw_email: str, change: Callable[[User], bool]
) -> RoleChange:
    email = Email.parse(raw_email)
    for attempt in range(1, ATTEMPTS + 1):
        async with new_uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None:
                raise UserNotFound()
            if not change(user):
                return RoleChange(UserView.of(user), changed=False)
            try:
                await uow.users.update_roles(user)
            except RolesChangedConcurrently:
                if attempt == ATTEMPTS:
                    raise
                continue
            # The event (recorded by the aggregate) reaches the outbox in this transaction.
            await uow.commit()
            return RoleChange(UserView.of(user), changed=True)
    raise AssertionError("unreachable")  # pragma: no cover


class GrantRoleHandler:
    """Gives the user with this e-mail (any case) a role; UserRoleGranted leaves via the outbox.

    Tokens issued from the user's next sign-in or refresh carry it (ADR 0126). Granting a held
    role changes nothing.
    """

    def __init__(self, new_uow: UnitOfWorkFactory, clock: Clock = utc_now) -> None:
        self._new_uow = new_uow
        self._clock = clock

    async def __call__(self, command: GrantRole) -> RoleChange:
        return await _change(
            self._new_uow, command.email, lambda user: user.grant(command.role, self._clock())
        )


class RevokeRoleHandler:
    """Takes a role back (never USER); UserRoleRevoked leaves via the outbox."""

    def __init__(self, new_uow: UnitOfWorkFactory, clock: Clock = utc_now) -> None:
        self._new_uow = new_uow
        self._clock = clock

    async def __call__(self, command: RevokeRole) -> RoleChange:
        return await _change(
            self._new_uow, command.email, lambda user: user.revoke(command.role, self._clock())
        )
