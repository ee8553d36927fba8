"""The SQL an engine sends, for tests that count round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from commerce.kernel.db import Database


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[str]]:
    """The statements ``database``'s engine sends while the block runs, in order."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def inserts_into(statements: list[str], prefix: str) -> list[str]:
    """The tables of the INSERTs among ``statements`` whose table starts with ``prefix``."""
    return [
        statement.split()[2]
        for statement in statements
        if statement.startswith(f"INSERT INTO {prefix}")
    ]
