"""Hand-written fakes of the user service's ports: in memory, instant, inspectable."""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from commerce.kernel.domain import utc_now
from commerce.kernel.repository import TrackingRepository
from commerce.user.domain.email import Email
from commerce.user.domain.errors import EmailAlreadyRegistered, RolesChangedConcurrently
from commerce.user.domain.user import User

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fixed_clock() -> datetime:
    """The time the unit tests run at: it never moves."""
    return NOW


def sequential_ids() -> Callable[[], str]:
    """An id factory handing out u-1, u-2, ..."""
    counter = itertools.count(1)
    return lambda: f"u-{next(counter)}"


def random_ids() -> str:
    """A new UUID, as the bootstrap draws them (for tests that share a real database)."""
    return str(uuid.uuid4())


def new_user(
    *, email: Email, name: str | None, password_hash: str, now: datetime | None = None
) -> User:
    """A just-registered user with a fresh id, as the register use case makes one."""
    return User.register(
        user_id=random_ids(),
        email=email,
        name=name,
        password_hash=password_hash,
        now=now or utc_now(),
    )


@dataclass
class Countdown:
    """How many more times something fails (here: update_roles() losing a race)."""

    remaining: int = 0

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class InMemoryUserRepository(TrackingRepository[User]):
    """Enforces e-mail uniqueness at add() time, like the database's unique constraint."""

    def __init__(self, committed: dict[str, User], conflicts: Countdown | None = None) -> None:
        super().__init__()
        self._committed = committed
        self.pending: dict[str, User] = {}
        self._conflicts = conflicts or Countdown()

    def _all(self) -> dict[str, User]:
        return {**self._committed, **self.pending}

    async def add(self, user: User) -> None:
        if any(other.email == user.email for other in self._all().values()):
            raise EmailAlreadyRegistered()
        self.pending[user.id] = self._track(user)

    async def get(self, user_id: str) -> User | None:
        # A copy, as a database read is: changes reach the store only through a commit.
        return self._loaded(self._all().get(user_id))

    async def get_by_email(self, email: Email) -> User | None:
        found = next((user for user in self._all().values() if user.email == email), None)
        return self._loaded(found)

    def _loaded(self, stored: User | None) -> User | None:
        return None if stored is None else self._track(copy.deepcopy(stored))

    async def update_password_hash(self, user: User) -> None:
        self.pending[user.id] = user

    async def update_roles(self, user: User) -> None:
        if self._conflicts.take():
            raise RolesChangedConcurrently()
        self.pending[user.id] = user


class FakeUnitOfWork:
    """Writes become visible to later units of work only after commit()."""

    def __init__(self, committed: dict[str, User], conflicts: Countdown | None = None) -> None:
        self._committed = committed
        self._conflicts = conflicts
        self.users = InMemoryUserRepository(committed, conflicts)
        self.commits = 0

    async def __aenter__(self) -> Self:
        self.users = InMemoryUserRepository(self._committed, self._conflicts)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.users.pending.clear()

    async def commit(self) -> None:
        self._committed.update(self.users.pending)
        self.users.pending.clear()
        self.commits += 1


class FakeUnitOfWorkFactory:
    """Hands out units of work over one shared store and remembers them."""

    def __init__(self) -> None:
        self.store: dict[str, User] = {}
        self.made: list[FakeUnitOfWork] = []
        self.role_conflicts = Countdown()

    def __call__(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store, self.role_conflicts)
        self.made.append(uow)
        return uow

    @property
    def commits(self) -> int:
        return sum(uow.commits for uow in self.made)


class FakePasswordHasher:
    """Reversible and instant; ``version`` plays the role of the argon2 parameters."""

    def __init__(self, version: str = "v1") -> None:
        self.version = version
        self.hashed: list[str] = []
        self.verified: list[str] = []

    async def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"fake${self.version}${password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash.split("$", 2)[-1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.version}$")
