"""Events the user service publishes on ``commerce.user.events``, keyed by ``user_id``."""

from __future__ import annotations

from typing import ClassVar

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
