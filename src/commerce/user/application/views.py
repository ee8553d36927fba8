"""What the use cases return: a user without anything secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.user.domain.user import User


@dataclass(frozen=True)
class UserView:
    id: str
    email: str
    name: str | None
    roles: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            email=user.email.value,
            name=user.name,
            roles=user.roles,
            created_at=user.created_at,
        )
