"""Domain events of the user service as integration events (the published language)."""

from __future__ import annotations

from commerce.contracts import users as contract
from commerce.contracts.envelope import EventPayload
from commerce.kernel.domain import DomainEvent
from commerce.user.domain.user import UserRegistered, UserRoleGranted, UserRoleRevoked


def integration_event(event: DomainEvent) -> EventPayload:
    """The contract payload for ``event``; every domain event of this service has one."""
    if isinstance(event, UserRegistered):
        return contract.UserRegistered(user_id=event.user_id, email=event.email)
    if isinstance(event, UserRoleGranted):
        return contract.UserRoleGranted(user_id=event.user_id, role=event.role.value)
    if isinstance(event, UserRoleRevoked):
        return contract.UserRoleRevoked(user_id=event.user_id, role=event.role.value)
    raise TypeError(f"no integration event for {type(event).__name__}")
