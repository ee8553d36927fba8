"""Roles: what a user may do besides being a customer. Every user has USER."""

from __future__ import annotations

from commerce.kernel.roles import Role
from commerce.user.domain.errors import UnknownRole

__all__ = ["Role", "ordered", "parse_role"]


def parse_role(raw: str) -> Role:
    """``raw`` in any case and without surrounding blanks, or UnknownRole."""
    try:
        return Role(raw.strip().upper())
    except ValueError:
        names = ", ".join(Role)
        raise UnknownRole(f"Unknown role {raw!r}: one of {names}.") from None


def ordered(roles: set[str]) -> tuple[str, ...]:
    """``roles`` in the contract's order; a name this code does not know keeps its place last."""
    known = tuple(role.value for role in Role if role.value in roles)
    return known + tuple(sorted(roles - set(known)))
