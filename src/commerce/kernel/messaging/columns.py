"""Column types that mean the same on SQLite and MySQL/MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, Text
from sqlalchemy.dialects import mysql

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# MySQL's DATETIME keeps whole seconds unless told otherwise.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# TEXT holds 64 KiB on MySQL; an event with fifty lines must never be cut.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def db_now() -> datetime:
    """Naive UTC, the form both databases store in these columns."""
    return datetime.now(UTC).replace(tzinfo=None)
