"""The catalog's services over one open database: a fresh unit of work per use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from commerce.kernel.db import Database
from commerce.product.adapters.outbound.queries import SqlaProductQueries
from commerce.product.adapters.outbound.unit_of_work import SqlaProductUnitOfWork


@dataclass
class SqlaCatalog:
    database: Database
    # Called after a commit that wrote outbox rows (the relay's wake-up), if given.
    outbox_written: Callable[[], None] | None = None
    queries: SqlaProductQueries = field(init=False)

    def __post_init__(self) -> None:
        self.queries = SqlaProductQueries(self.database.engine)

    def unit_of_work(self) -> SqlaProductUnitOfWork:
        return SqlaProductUnitOfWork(self.database.connections, outbox_written=self.outbox_written)
