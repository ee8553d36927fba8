"""What a successful sign-in or refresh hands out, and how refresh secrets are made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

TOKEN_TYPE = "Bearer"  # noqa: S105 - a token type, not a secret


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int  # seconds the refresh token has left (a cookie's Max-Age)
    token_type: str = TOKEN_TYPE


def new_refresh_secret() -> str:
    """An opaque refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
