"""A service's operations console over its messaging, in one call from ``bootstrap.py``."""

from __future__ import annotations

from sqlalchemy import Table

from commerce.kernel.admin.console import OperationsConsole
from commerce.kernel.admin.store import SqlOperationsStore
from commerce.kernel.messaging.runtime import Messaging


def operations_console(service: str, messaging: Messaging, audit: Table) -> OperationsConsole:
    """The console of ``service``; ``messaging`` must have been given its dead-letter table."""
    if messaging.dead_letters is None:
        raise ValueError("give Messaging the service's dead_letters table")
    store = SqlOperationsStore(
        messaging.database.connections, messaging.dead_letters, audit, messaging.outbox
    )
    # The handlers are registered as the consumers start; the console looks them up per replay.
    return OperationsConsole(service, store, messaging.handlers, messaging.consumer_lag)
