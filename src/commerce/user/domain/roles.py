"""Roles: what a user may do besides being a customer. Every user has USER."""

from __future__ import annotations

from enum import StrEnum

from commerce.user.domain.errors import UnknownRole


class Role(StrEnum):
    """The contract's roles, in the order they are stored and shown."""

    USER = "USER"
    STAFF = "STAFF"  # fulfilment: ships and delivers orders
    ADMIN = "ADMIN"  # operations

    @classmethod
    def parse(cls, raw: str) -> Role:
        """``raw`` in any case and without surrounding blanks, or UnknownRole."""
        try:
            return cls(raw.strip().upper())
        except ValueError:
            names = ", ".join(cls)
            raise UnknownRole(f"Unknown role {raw!r}: one of {names}.") from None


def ordered(roles: set[str]) -> tuple[str, ...]:
    """``roles`` in the contract's order; a name this code does not know keeps its place last."""
    known = tuple(role.value for role in Role if role.value in roles)
    return known + tuple(sorted(roles - set(known)))
