from __future__ import annotations

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.kernel.pagination import decode_cursor, encode_cursor


def test_cursor_round_trips_and_is_opaque() -> None:
    position = {"created_at": "2026-01-01T00:00:00+00:00", "id": "abc"}
    cursor = encode_cursor(position)
    assert "abc" not in cursor
    assert decode_cursor(cursor) == position
    assert decode_cursor(None) is None


@pytest.mark.parametrize(
    "garbage", ["%%%", "bm90IGpzb24", encode_cursor({"a": 1})[:-3] + "!!", "WzFd"]
)
def test_foreign_cursors_are_invalid_input(garbage: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(garbage)
