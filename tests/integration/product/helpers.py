"""Reading back what the product service wrote: stock, reservations, outbox rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.ordering import OrderCancelled, OrderLine, OrderPlaced
from commerce.kernel.db import Database
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.adapters.outbound.tables import outbox, products, reservation_lines
from commerce.product.application.commands import CreateProduct
from commerce.product.bootstrap import build_use_cases


async def new_product(
    catalog: SqlaCatalog, *, stock: int, price: int = 1_000, name: str = "Thing"
) -> str:
    command = CreateProduct(seller_id="seller", name=name, price=price, stock=stock)
    return (await build_use_cases(catalog.unit_of_work, catalog.queries).create(command)).id


async def stock_of(database: Database, product_id: str) -> int:
    async with database.connections() as session:
        return int(
            (
                await session.execute(select(products.c.stock).where(products.c.id == product_id))
            ).scalar_one()
        )


async def reserved_units(database: Database, product_id: str) -> int:
    async with database.connections() as session:
        total = await session.execute(
            select(func.coalesce(func.sum(reservation_lines.c.quantity), 0)).where(
                reservation_lines.c.product_id == product_id
            )
        )
        return int(total.scalar_one())


async def outbox_events(database: Database, event_type: str | None = None) -> list[EventEnvelope]:
    statement = select(outbox.c.payload, outbox.c.topic).order_by(outbox.c.id)
    if event_type:
        statement = statement.where(outbox.c.event_type == event_type)
    async with database.connections() as session:
        rows = (await session.execute(statement)).all()
    assert all(row.topic == "commerce.catalog.events" for row in rows)
    return [EventEnvelope.from_json(row.payload) for row in rows]


def placed(order_id: str, *lines: tuple[str, int], event_id: str | None = None) -> EventEnvelope:
    payload = OrderPlaced(
        order_id=order_id,
        user_id="buyer",
        items=[OrderLine(product_id=pid, quantity=qty) for pid, qty in lines],
    )
    return EventEnvelope.wrap(payload, "order", event_id=event_id)


def cancelled(order_id: str, event_id: str | None = None) -> EventEnvelope:
    return EventEnvelope.wrap(OrderCancelled(order_id=order_id), "order", event_id=event_id)


def new_order_id() -> str:
    return str(uuid.uuid4())


def data(envelope: EventEnvelope) -> dict[str, Any]:
    return json.loads(json.dumps(envelope.data))
