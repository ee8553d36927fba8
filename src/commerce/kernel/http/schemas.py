"""Pydantic bases for request and response bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer

T = TypeVar("T")


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` is opaque and ``null`` on the last page."""

    items: list[T]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1..100.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="Opaque cursor from a previous page.")
]


def utc_iso(value: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a ``Z``: ``2026-01-01T12:00:00.5Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# A response field's time: the one format every service answers with.
UtcTimestamp = Annotated[datetime, PlainSerializer(utc_iso, return_type=str)]


def printable(value: str | None) -> str | None:
    """Text a person typed and another reads: no control characters (NUL, line breaks), no
    invisible format characters (U+200B, U+FEFF) and no bidi overrides (U+202E) that would
    show another text than is stored (docs/adr/0039)."""
    if value is not None and not value.isprintable():
        raise ValueError("must not contain control, line-break, format or bidi characters")
    return value


# Annotate a text field or parameter with it: ``Annotated[str, ..., Printable]``.
Printable = AfterValidator(printable)
