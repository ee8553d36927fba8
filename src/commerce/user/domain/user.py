"""The User aggregate: who someone is on the platform and how they prove it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidName, RoleNotRevocable
from commerce.user.domain.roles import Role, ordered

DEFAULT_ROLES: tuple[str, ...] = ("USER",)
MAX_NAME_LENGTH = 100


@dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    """A new account exists (published as ``UserRegistered`` on ``commerce.user.events``)."""

    user_id: str
    email: str


@dataclass(frozen=True, kw_only=True)
class UserRoleGranted(DomainEvent):
    """An operator granted ``role`` (published as ``UserRoleGranted``)."""

    user_id: str
    role: Role


@dataclass(frozen=True, kw_only=True)
class UserRoleRevoked(DomainEvent):
    """An operator took ``role`` back (published as ``UserRoleRevoked``)."""

    user_id: str
    role: Role


def normalise_name(name: str | None) -> str | None:
    """Surrounding blanks go; a name that is blank or too long is refused."""
    if name is None:
        return None
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH or not cleaned.isprintable():
        raise InvalidName(f"The name must have 1..{MAX_NAME_LENGTH} printable characters.")
    return cleaned


class User(AggregateRoot):
    """A registered account. The password exists here only as a slow, salted hash."""

    def __init__(
        self,
        *,
        id: str,
        email: Email,
        name: str | None,
        password_hash: str,
        roles: tuple[str, ...],
        created_at: datetime,
    ) -> None:
        super().__init__()
        self.id = id
        self.email = email
        self.name = name
        self.password_hash = password_hash
        self.roles = roles
        self.created_at = created_at

    @classmethod
    def register(
        cls, *, user_id: str, email: Email, name: str | None, password_hash: str, now: datetime
    ) -> User:
        """A new account ``user_id``, created ``now``, with the default roles; records
        UserRegistered."""
        user = cls(
            id=user_id,
            email=email,
            name=normalise_name(name),
            password_hash=password_hash,
            roles=DEFAULT_ROLES,
            created_at=now,
        )
        user.record(UserRegistered(user_id=user.id, email=email.value, occurred_at=user.created_at))
        return user

    def replace_password_hash(self, password_hash: str) -> None:
        """Store a new hash of the same password (after the hashing parameters changed)."""
        self.password_hash = password_hash

    def grant(self, role: Role, now: datetime) -> bool:
        """Add ``role``; records UserRoleGranted. False, and nothing recorded, if already held."""
        if role in self.roles:
            return False
        self.roles = ordered({*self.roles, role.value})
        self.record(UserRoleGranted(user_id=self.id, role=role, occurred_at=now))
        return True

    def revoke(self, role: Role, now: datetime) -> bool:
        """Remove ``role``; records UserRoleRevoked. False, and nothing recorded, if not held.

        USER is refused (RoleNotRevocable): every user has it."""
        if role is Role.USER:
            raise RoleNotRevocable()
        if role not in self.roles:
            return False
        self.roles = ordered(set(self.roles) - {role.value})
        self.record(UserRoleRevoked(user_id=self.id, role=role, occurred_at=now))
        return True

    def __repr__(self) -> str:
        # Never the hash: reprs end up in logs and tracebacks.
        return f"User(id={self.id!r}, email={self.email.value!r})"
