"""Events the user service publishes on ``commerce.user.events``, keyed by ``user_id``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from commerce.contracts.envelope import EventPayload


class UserRegistered(EventPayload):
    """A new account exists."""

    event_type: ClassVar[str] = "UserRegistered"

    user_id: str = Field(min_length=1)
    email: str

    @property
    def partition_key(self) -> str:
        return self.user_id


Role = Literal["USER", "STAFF", "ADMIN"]


class UserRoleGranted(EventPayload):
    """An operator granted ``role`` to the user; tokens issued from now on carry it."""

    event_type: ClassVar[str] = "UserRoleGranted"

    user_id: str = Field(min_length=1)
    role: Role

    @property
    def partition_key(self) -> str:
        return self.user_id


class UserRoleRevoked(EventPayload):
    """An operator took ``role`` back (an addition to the contract's events)."""

    event_type: ClassVar[str] = "UserRoleRevoked"

    user_id: str = Field(min_length=1)
    role: Role

    @property
    def partition_key(self) -> str:
        return self.user_id
