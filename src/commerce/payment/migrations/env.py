"""Alembic environment of the payment service: the kernel runs it with our metadata."""

from commerce.kernel.db.migrations import run_env
from commerce.payment.adapters.outbound.tables import metadata

run_env(metadata)
