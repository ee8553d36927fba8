"""Inputs of the use cases, already in plain Python types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class LogOut:
    refresh_token: str
