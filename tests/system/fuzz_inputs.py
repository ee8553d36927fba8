"""What the contract fuzz (docs/adr/0091) sends: text from every assigned character, the
gateway's document read the way the server reads it, and schema-valid requests made the way a
real client makes them.

Unicode property escapes: schemathesis 4.32 generates from ``\\p{C}``/``\\p{Z}`` with Latin
approximations, so it would call a name with U+200B valid. Generated text here comes from
every assigned, non-private character (the ``ASSIGNED`` codec; unassigned and private-use code
points, which the server refuses like any other control, are left to the unit tests of the
text rules). Over those characters ``[^\\p{C}\\p{Z}]`` is the complement of a few hundred
controls, format characters and separators, which this module spells out from this Python's
Unicode database, the one the server's ``str.isprintable()`` reads: generation then follows
the rule exactly, and cheaply.

Four rules no JSON Schema can state, which a real client keeps without trying:

- a cursor is one the server issued (``next_cursor``), never a string of the right alphabet;
- an ``Idempotency-Key`` names one request: the same key with another body is a 422;
- an integer is written as one: JSON Schema counts ``2.0`` as an integer, the server does not;
- an order puts each product on one line (JSON Schema has ``uniqueItems``, not unique by key).

Only schema-valid (positive) cases are adjusted; broken ones are sent as generated.
"""

from __future__ import annotations

import codecs
import json
import sys
import unicodedata
import zlib
from functools import cache
from typing import Any

import schemathesis

from commerce.kernel.http.text_patterns import VISIBLE

MAX_IDEMPOTENCY_KEY_LENGTH = 255


ASSIGNED = "assigned_utf_8"
_NOT_ASSIGNED = frozenset({"Cn", "Co", "Cs"})  # unassigned, private use, surrogates


def _assigned_only(text: str, errors: str = "strict") -> tuple[bytes, int]:
    for index, character in enumerate(text):
        if unicodedata.category(character) in _NOT_ASSIGNED:
            reason = "unassigned or private-use code point"
            raise UnicodeEncodeError(ASSIGNED, text, index, index + 1, reason)
    return codecs.utf_8_encode(text, errors)


def _find_assigned(name: str) -> codecs.CodecInfo | None:
    if name != ASSIGNED:
        return None
    return codecs.CodecInfo(_assigned_only, codecs.utf_8_decode, name=ASSIGNED)


codecs.register(_find_assigned)


def _escaped(value: int) -> str:
    return f"\\u{value:04x}" if value <= 0xFFFF else f"\\U{value:08x}"


@cache
def visible_among_assigned() -> str:
    """``VISIBLE`` over the ``ASSIGNED`` characters: all but the assigned ones that
    ``str.isprintable()`` refuses, and the space."""
    refused = [
        value
        for value in range(sys.maxunicode + 1)
        if unicodedata.category(chr(value)) not in _NOT_ASSIGNED
        and (value == 0x20 or not chr(value).isprintable())
    ]
    return "[^" + "".join(_escaped(value) for value in refused) + "]"


def as_the_server_reads_it(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every ``VISIBLE`` class spelled out (the JSON text is rewritten)."""
    text = json.dumps(document)
    escaped = json.dumps(VISIBLE)[1:-1]
    spelled = json.dumps(visible_among_assigned())[1:-1]
    rewritten: dict[str, Any] = json.loads(text.replace(escaped, spelled))
    return rewritten


def _whole_numbers_as_integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers_as_integers(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_numbers_as_integers(item) for key, item in value.items()}
    return value


def _one_line_per_product(body: Any) -> Any:
    lines = body.get("items") if isinstance(body, dict) else None
    if not isinstance(lines, list):
        return body
    seen: set[Any] = set()
    kept = []
    for line in lines:
        product_id = line.get("product_id") if isinstance(line, dict) else None
        if product_id not in seen:
            seen.add(product_id)
            kept.append(line)
    return {**body, "items": kept}


def _key_for_this_body(key: str, body: Any) -> str:
    # A request without a body (schemathesis' NotSet) hashes by the name of its type.
    text = json.dumps(body, sort_keys=True, default=lambda value: type(value).__name__)
    digest = f"{zlib.crc32(text.encode()):08x}"
    return f"{key[: MAX_IDEMPOTENCY_KEY_LENGTH - len(digest) - 1]}.{digest}"


def as_a_client_sends_it(case: schemathesis.Case, issued_cursor: str) -> None:
    """Keep the three rules above in a schema-valid ``case`` (in place)."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    if isinstance(case.body, (dict, list)):
        case.body = _one_line_per_product(_whole_numbers_as_integers(case.body))
    if case.query and isinstance(case.query.get("cursor"), str):
        case.query["cursor"] = issued_cursor
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and case.headers is not None:
        case.headers["Idempotency-Key"] = _key_for_this_body(key, case.body)
