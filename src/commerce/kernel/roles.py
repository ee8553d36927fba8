"""The contract's roles (API.md, Roles): every user is a USER; STAFF ship and deliver orders;
ADMIN operate the platform. One spelling for every service and the gateway."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The contract's roles, in the order they are stored and shown."""

    USER = "USER"
    STAFF = "STAFF"  # fulfilment: ships and delivers orders
    ADMIN = "ADMIN"  # operations
