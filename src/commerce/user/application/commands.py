"""Inputs of the use cases, already in plain Python types."""

from __future__ import annotations

from dataclasses import dataclass, field

from commerce.user.domain.roles import Role


@dataclass(frozen=True)
class RegisterUser:
    email: str
    password: str = field(repr=False)
    name: str | None = None


@dataclass(frozen=True)
class GetProfile:
    user_id: str


@dataclass(frozen=True)
class VerifyCredentials:
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class GrantRole:
    email: str
    role: Role


@dataclass(frozen=True)
class RevokeRole:
    email: str
    role: Role


@dataclass(frozen=True)
class FindUserByEmail:
    email: str
