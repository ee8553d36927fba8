"""Alembic environment of the auth service."""

from commerce.auth.adapters.outbound.sql_tables import metadata
from commerce.kernel.db.migrations import run_env

run_env(metadata)
