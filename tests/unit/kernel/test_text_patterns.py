"""The text patterns of the OpenAPI document say what the validators do.

Checked with a JSON Schema validator that reads ECMA-262 patterns, as a client would.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Annotated

import jsonschema_rs
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter

from commerce.kernel.http.text_patterns import (
    PRINTABLE_TEXT,
    PYTHON_WHITESPACE,
    UNICODE_WHITESPACE,
    VISIBLE,
    trimmed_printable,
)

STRIPPED_BY_PYDANTIC = TypeAdapter(Annotated[str, StringConstraints(strip_whitespace=True)])


@cache
def validator(pattern: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def matches(pattern: str, text: str) -> bool:
    return validator(pattern).is_valid(text)


@cache
def assigned_characters() -> list[str]:
    """Every character Python's Unicode database knows, surrogates aside (no UTF-8 for them).

    A code point assigned after that database's version is refused by the server (not
    printable to it) where a newer regex engine may call it visible: the caveat of
    text_patterns.py, left out here."""
    return [
        chr(value)
        for value in range(sys.maxunicode + 1)
        if unicodedata.category(chr(value)) not in ("Cn", "Cs")
    ]


def test_visible_is_what_isprintable_takes_but_the_space() -> None:
    visible = [c for c in assigned_characters() if c.isprintable() and c != " "]
    refused = [c for c in assigned_characters() if not c.isprintable() or c == " "]
    assert matches(rf"^{VISIBLE}*$", "".join(visible))
    # A pattern is a search: not one refused character is found.
    assert not matches(VISIBLE, "".join(refused))


def test_printable_text_adds_only_the_space() -> None:
    assert matches(PRINTABLE_TEXT, "Ada Lovelace")
    assert not matches(PRINTABLE_TEXT, "Ada\u00a0Lovelace")


def test_the_whitespace_classes_are_what_python_and_pydantic_strip() -> None:
    python = [c for c in assigned_characters() if matches(rf"^{PYTHON_WHITESPACE}$", c)]
    assert python == [c for c in assigned_characters() if c.isspace()]
    unicode = [c for c in assigned_characters() if matches(rf"^{UNICODE_WHITESPACE}$", c)]
    # pydantic's strip_whitespace takes what str.isspace() calls a blank, but U+001C..U+001F.
    assert unicode == [c for c in python if STRIPPED_BY_PYDANTIC.validate_python(f"a{c}") == "a"]
    assert len(unicode) == len(python) - 4


# Blanks of both kinds, visible characters, and characters neither strip() nor isprintable().
pieces = st.sampled_from(
    [" ", "\t", "\n", "\x1c", "\u3000", "a", "한", "\U0001f600", "\u200b", "\x00"]
)
texts = st.lists(pieces, max_size=12).map("".join)


@settings(max_examples=300, derandomize=True, database=None)
@given(text=texts)
@example(text="")
@example(text=" a ")
@example(text="\x1ca\t")
def test_trimmed_printable_is_strip_then_printable_and_not_empty(text: str) -> None:
    rule = text.strip() != "" and text.strip().isprintable()
    assert matches(trimmed_printable(PYTHON_WHITESPACE), text) == rule


@settings(max_examples=100, derandomize=True, database=None)
@given(
    core=st.text(st.sampled_from("ab 한"), min_size=1, max_size=8),
    padding=st.sampled_from(["", " ", "\t\n"]),
)
def test_a_length_bound_counts_the_trimmed_text(core: str, padding: str) -> None:
    text = padding + core + padding
    trimmed = STRIPPED_BY_PYDANTIC.validate_python(text)
    rule = trimmed != "" and len(trimmed) <= 5
    assert matches(trimmed_printable(UNICODE_WHITESPACE, 5), text) == rule
