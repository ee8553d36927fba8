from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.kernel.pagination import decode_cursor, decode_keyset, encode_cursor, encode_keyset


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
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(garbage)
    assert raised.value.field == "query.cursor"


def test_a_keyset_position_round_trips_in_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    created_at = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=seoul)
    cursor = encode_keyset(created_at, "order-1")
    assert "order-1" not in cursor
    decoded = decode_keyset(cursor)
    assert decoded == (created_at, "order-1")
    assert decoded is not None and decoded[0].utcoffset() == timedelta(0)
    assert decode_keyset(None) is None


def test_encoding_a_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        encode_keyset(datetime(2026, 1, 1), "x")


def _keyset(time: object = "2026-01-01T00:00:00+00:00", key: object = "x") -> str:
    return encode_cursor({"t": time, "id": key})


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("!!!", id="not-base64"),
        pytest.param(encode_cursor({"a": 1}), id="no-keys"),
        pytest.param(_keyset(time="2026-01-01T00:00:00"), id="naive-time"),
        pytest.param(_keyset(time="0001-01-01T00:00:00+01:00"), id="utc-before-year-1"),
        pytest.param(_keyset(time="9999-12-31T23:59:59-01:00"), id="utc-after-year-9999"),
        pytest.param(_keyset(time="1969-12-31T23:59:59+00:00"), id="before-1970"),
        pytest.param(_keyset(time="1970-01-01T00:30:00+01:00"), id="1969-in-utc"),
        pytest.param(_keyset(time="yesterday"), id="not-iso"),
        pytest.param(_keyset(time=1767225600), id="number-time"),
        pytest.param(_keyset(time=None), id="null-time"),
        pytest.param(_keyset(key=""), id="empty-id"),
        pytest.param(_keyset(key="x" * 65), id="long-id"),
        pytest.param(_keyset(key=7), id="number-id"),
        pytest.param(_keyset(key=["x"]), id="list-id"),
        pytest.param(_keyset(key="\ud800"), id="lone-surrogate-id"),
        pytest.param(_keyset(key="a\x00b"), id="control-char-id"),
    ],
)
def test_hostile_keyset_cursors_are_invalid_input_about_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_keyset(cursor)
    assert raised.value.code == "invalid_cursor"
    assert raised.value.field == "query.cursor"


@pytest.mark.parametrize(
    ("time", "key"),
    [
        ("1970-01-01T00:00:00+00:00", "x"),
        ("9999-12-31T23:59:59.999999Z", "x" * 64),
        ("2026-06-01T12:00:00-11:30", "0b7f2c4e-6a51-4c3e-9d0a-3f1e2b7c9d10"),
    ],
)
def test_keyset_bounds_are_inclusive(time: str, key: str) -> None:
    decoded = decode_keyset(_keyset(time=time, key=key))
    assert decoded is not None
    assert decoded[0] == datetime.fromisoformat(time) and decoded[1] == key
