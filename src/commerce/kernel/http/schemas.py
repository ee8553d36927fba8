"""Pydantic bases for request and response bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from commerce.kernel.http.text_patterns import PRINTABLE_TEXT

T = TypeVar("T")


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` is opaque and ``null`` on the last page."""

    items: list[T]
    next_cursor: str | None


# JSON Schema's "integer" admits 2.0, which a strict field refuses: the document says so in words.
WRITTEN_AS_AN_INTEGER = 'Written as a JSON integer: 2, not 2.0 or "2".'

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1..100.")]
# The alphabet of the cursors the services issue (base64url without padding, kernel.pagination).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=512,
        pattern=CURSOR_PATTERN,
        description="The `next_cursor` of the previous page, as it was given: any other "
        "value is a 422.",
    ),
]


def utc_iso(value: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a ``Z``: ``2026-01-01T12:00:00.5Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# A response field's time: the one format every service answers with.
UtcTimestamp = Annotated[datetime, PlainSerializer(utc_iso, return_type=str)]


def printable(value: str | None) -> str | None:
    """Text a person typed and another reads: no control characters (NUL, line breaks), no
    invisible format characters (U+200B, U+FEFF) and no bidi overrides (U+202E) that would
    show another text than is stored (docs/adr/0100)."""
    if value is not None and not value.isprintable():
        raise ValueError("must not contain control, line-break, format or bidi characters")
    return value


@dataclass(frozen=True, slots=True)
class SchemaPattern:
    """Says in the JSON Schema, as ``pattern``, a text rule that a validator enforces.

    ``also``: more patterns the text must match (JSON Schema takes one per schema, so they go
    in ``allOf``), for a rule one portable pattern cannot say. With ``bounds_trimmed_length``
    the pattern bounds the length the validator counts, that of the text once trimmed: the
    ``maxLength`` of the raw text that the constraints emitted would refuse a padded text the
    server takes, so it goes (a ``minLength`` stays true)."""

    pattern: str
    also: tuple[str, ...] = ()
    bounds_trimmed_length: bool = False

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        if self.also:
            json_schema["allOf"] = [{"pattern": pattern} for pattern in self.also]
        if self.bounds_trimmed_length:
            json_schema.pop("maxLength", None)
        return json_schema


class PrintableText(SchemaPattern):
    """Refuses text that is not :func:`printable`, and says so with ``pattern``."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(printable, handler(source))


# Annotate a text field or parameter with it: ``Annotated[str, ..., Printable]`` (the ``str``
# itself, not ``str | None``, so that the pattern lands on the string's schema).
Printable = PrintableText(PRINTABLE_TEXT)
