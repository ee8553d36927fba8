"""Alembic environment of the user service: the kernel runs it with our metadata."""

from commerce.kernel.db.migrations import run_env
from commerce.user.adapters.outbound.tables import metadata

run_env(metadata)
