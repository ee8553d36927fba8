"""Opaque keyset cursors: a base64url JSON position, stable under inserts.

Lists page newest first by ``(created_at, id)``; ``encode_keyset``/``decode_keyset`` are the
one way services turn such a position into a cursor and back. A cursor comes from the client,
so decoding treats it as hostile: anything but a position we could have written is
``InvalidInput`` about the ``cursor`` query parameter (a 422), never a 500 further down.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from commerce.kernel.domain import InvalidInput

DEFAULT_LIMIT = 20
# Named like the HTTP layer's own schema errors for the query parameter.
CURSOR_FIELD = "query.cursor"
# Every time a service stores is in this range; outside it, converting, binding or comparing
# the time can overflow (datetime, MariaDB's DATETIME), so a cursor there is not ours.
MIN_YEAR, MAX_YEAR = 1970, 9999
MAX_ID_LENGTH = 64


def _invalid_cursor() -> InvalidInput:
    return InvalidInput("The cursor is not valid.", code="invalid_cursor", field=CURSOR_FIELD)


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
        raise _invalid_cursor() from exc
    if not isinstance(position, dict):
        raise _invalid_cursor()
    return position


def encode_keyset(created_at: datetime, id: str) -> str:
    """The cursor after the row ``(created_at, id)``; ``created_at`` must be aware."""
    if created_at.utcoffset() is None:
        raise ValueError("a keyset time must be timezone-aware")
    return encode_cursor({"t": created_at.astimezone(UTC).isoformat(), "id": id})


def decode_keyset(cursor: str | None) -> tuple[datetime, str] | None:
    """The ``(created_at in UTC, id)`` inside ``cursor``, or None without one.

    Raises ``InvalidInput`` (field ``query.cursor``) for anything else: a naive or unparsable
    time, one outside years 1970..9999 in UTC, an id that is not 1..64 printable characters.
    """
    position = decode_cursor(cursor)
    if position is None:
        return None
    time, key = position.get("t"), position.get("id")
    if not isinstance(time, str) or not isinstance(key, str):
        raise _invalid_cursor()
    # Printable also rules out lone surrogates, which no database driver could encode.
    if not 1 <= len(key) <= MAX_ID_LENGTH or not key.isprintable():
        raise _invalid_cursor()
    try:
        created_at = datetime.fromisoformat(time)
        if created_at.utcoffset() is None:
            raise _invalid_cursor()
        # Near datetime's limits the conversion itself overflows: that is a hostile cursor too.
        created_at = created_at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise _invalid_cursor() from exc
    if not MIN_YEAR <= created_at.year <= MAX_YEAR:
        raise _invalid_cursor()
    return created_at, key
