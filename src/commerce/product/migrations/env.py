"""Alembic environment of the product service: the kernel runs it with our metadata."""

from commerce.kernel.db.migrations import run_env
from commerce.product.adapters.outbound.tables import metadata

run_env(metadata)
