"""The unit of work of the catalog events: the view's change and the inbox, one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.cart.adapters.outbound.sql_catalog_view import SqlaCatalogViewWriter
from commerce.cart.adapters.outbound.tables import inbox, outbox
from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork
from commerce.kernel.ports import Clock

CONSUMER = "cart"


class SqlaCatalogViewUnitOfWork(MessagingUnitOfWork):
    view: SqlaCatalogViewWriter

    def __init__(self, connections: Connections, clock: Clock) -> None:
        super().__init__(connections, outbox=outbox, inbox=inbox, consumer=CONSUMER)
        self._clock = clock

    def _build_repositories(self, session: AsyncConnection) -> None:
        self.view = SqlaCatalogViewWriter(session, self._clock, self.shared)
