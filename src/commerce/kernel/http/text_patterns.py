"""The text rules the validators enforce, spelled as JSON Schema patterns for the OpenAPI
document (ECMA-262 with Unicode property escapes, which JSON Schema 2020-12 uses).

The validators stay the authority; these patterns are what a client generator can check
first. ``str.isprintable()`` is Unicode's rule with Python's character database: a character
assigned in a later Unicode version than the server's Python knows is refused by the server
even where a newer regex engine calls it printable.
"""

from __future__ import annotations

# A visible character: no control, format, surrogate, private-use or unassigned code point
# (category C) and no separator (Z). With the plain space: what str.isprintable() accepts.
VISIBLE = r"[^\p{C}\p{Z}]"
PRINTABLE = rf"(?:{VISIBLE}| )"
PRINTABLE_TEXT = rf"^{PRINTABLE}*$"

# What str.strip() removes: str.isspace(), which adds U+001C..U+001F to Unicode's White_Space.
PYTHON_WHITESPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# What pydantic's ``strip_whitespace`` removes: Unicode's White_Space property.
UNICODE_WHITESPACE = r"[\t-\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def excluding(character_class: str) -> str:
    """The complement of ``character_class`` (written ``[...]``)."""
    return "[^" + character_class[1:]


def trimmed(core: str, whitespace: str) -> str:
    """``core`` (a pattern without anchors) with any ``whitespace`` around it."""
    return rf"^{whitespace}*{core}{whitespace}*$"


def trimmed_printable(whitespace: str, max_length: int | None = None) -> str:
    """Text that, once ``whitespace`` is stripped from both ends, is printable, not empty
    and (given ``max_length`` >= 2) at most ``max_length`` characters long."""
    inner = "*" if max_length is None else f"{{0,{max_length - 2}}}"
    return trimmed(rf"{VISIBLE}(?:{PRINTABLE}{inner}{VISIBLE})?", whitespace)
