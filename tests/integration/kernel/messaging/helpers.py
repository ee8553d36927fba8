"""Small helpers shared by the messaging integration tests."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import Table, func, select

from commerce.contracts import EventEnvelope, OrderCancelled
from commerce.kernel.db import Database
from commerce.kernel.messaging.inbox import first_delivery
from commerce.kernel.messaging.outbox import add_to_outbox


def event(order_id: str) -> EventEnvelope:
    return EventEnvelope.wrap(OrderCancelled(order_id=order_id), source="test")


async def write_events(
    database: Database, outbox: Table, topic: str, keys: list[str]
) -> list[EventEnvelope]:
    """One committed transaction per event, keyed as given; returns the events in order."""
    written = []
    for index, key in enumerate(keys):
        envelope = event(f"{key}-{index}")
        async with database.connections() as session:
            await add_to_outbox(session, outbox, topic=topic, key=key, envelope=envelope)
            await session.commit()
        written.append(envelope)
    return written


def metric(name: str, **labels: str) -> float:
    """A platform metric's value in this process (0 before its first increment)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def count(database: Database, table: Table, *where: object) -> int:
    async with database.connections() as session:
        statement = select(func.count()).select_from(table)
        if where:
            statement = statement.where(*where)  # type: ignore[arg-type]
        return int((await session.execute(statement)).scalar_one())


async def apply_once(
    database: Database, inbox: Table, effects: Table, envelope: EventEnvelope
) -> bool:
    """The handler pattern every service follows: inbox check and effect in one transaction."""
    async with database.connections() as session:
        if not await first_delivery(session, inbox, consumer="test", event_id=envelope.id):
            return False
        await session.execute(effects.insert().values(event_id=envelope.id))
        await session.commit()
        return True
