"""Reading what the order service wrote: outbox events and raw rows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from commerce.kernel.db import Database
from commerce.order.adapters.outbound.tables import outbox


async def outbox_events(database: Database) -> list[dict[str, Any]]:
    """Every queued event, oldest first, with its topic and key."""
    async with database.connections() as session:
        rows = await session.execute(select(outbox).order_by(outbox.c.id))
        return [
            {"topic": row.topic, "key": row.message_key, **json.loads(row.payload)} for row in rows
        ]
