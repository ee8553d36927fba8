"""What the use cases need from the outside world, named by role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from commerce.kernel.ports import UnitOfWork
from commerce.user.domain.email import Email
from commerce.user.domain.user import User


class UserRepository(Protocol):
    """Users by id and by e-mail. Never commits: the unit of work does."""

    async def add(self, user: User) -> None:
        """Insert a new user; raise EmailAlreadyRegistered if the e-mail is taken.

        The database's unique constraint decides, so two concurrent sign-ups with the same
        e-mail cannot both succeed whatever any earlier lookup said.
        """

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""

    async def get_by_email(self, email: Email) -> User | None:
        """The user with this (normalised) e-mail, or None."""

    async def update_password_hash(self, user: User) -> None:
        """Persist ``user.password_hash``."""

    async def update_roles(self, user: User) -> None:
        """Persist ``user.roles`` if they are still what this repository read; else raise
        RolesChangedConcurrently (the database decides, not a lock held in Python)."""


class UserUnitOfWork(UnitOfWork, Protocol):
    """One transaction around one use case; leaving without commit() rolls back."""

    @property
    def users(self) -> UserRepository:
        """The users, inside this unit of work's transaction."""


class PasswordHasher(Protocol):
    """A slow, salted password hash. Implementations keep the work off the event loop."""

    async def hash(self, password: str) -> str:
        """A new encoded hash (algorithm, parameters and salt included) of ``password``."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; False also for a corrupt hash."""

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than the current ones."""


# A fresh unit of work per use of it: one instance holds one session at a time.
UnitOfWorkFactory = Callable[[], UserUnitOfWork]
