"""Opaque keyset cursors: a base64url JSON position, stable under inserts."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from commerce.kernel.domain import InvalidInput

DEFAULT_LIMIT = 20


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position inside ``cursor``; a cursor that is not ours is invalid input."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid.", code="invalid_cursor") from exc
    if not isinstance(position, dict):
        raise InvalidInput("The cursor is not valid.", code="invalid_cursor")
    return position
