"""Alembic environment of the order service: the kernel runs it with our metadata."""

from commerce.kernel.db.migrations import run_env
from commerce.order.adapters.outbound.tables import metadata

run_env(metadata)
