"""Alembic environment of the cart service: the kernel runs it with our metadata."""

from commerce.cart.adapters.outbound.tables import metadata
from commerce.kernel.db.migrations import run_env

run_env(metadata)
