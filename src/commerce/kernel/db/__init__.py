"""Database plumbing: engine, unit of work, migrations."""

from commerce.kernel.db.database import Database
from commerce.kernel.db.engine import create_engine, is_sqlite, ping
from commerce.kernel.db.unit_of_work import SqlaUnitOfWork

__all__ = ["Database", "SqlaUnitOfWork", "create_engine", "is_sqlite", "ping"]
