"""Carts and checkouts in the service's SQL database (the embedded default, no Redis).

A save is a conditional write on (cart id, revision), so of two writers of one cart only the
first succeeds; the other loads again (docs/adr/0120).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.cart.adapters.outbound.codec import (
    checkout_fields,
    checkout_of,
    decode_cart,
    encode_lines,
    new_cart,
)
from commerce.cart.adapters.outbound.tables import carts, checkouts, confirmed_orders
from commerce.cart.application.ports import CartChangedMeanwhile
from commerce.cart.domain.cart import Cart, Checkout
from commerce.kernel.db.connections import Connections
from commerce.kernel.ports import Clock


class SqlaCartStore:
    def __init__(self, connections: Connections, clock: Clock) -> None:
        self._connections = connections
        self._clock = clock

    async def load(self, user_id: str) -> Cart:
        async with self._connections() as session:
            row = (await session.execute(select(carts).where(carts.c.user_id == user_id))).first()
        if row is None:
            return new_cart(user_id)
        return decode_cart(user_id, row.cart_id, row.revision, row.updated_at, row.lines)

    async def save(self, cart: Cart) -> None:
        async with self._connections.begin() as session:
            await _write_cart(session, cart)
        cart.mark_saved()

    async def delete(self, user_id: str) -> None:
        async with self._connections.begin() as session:
            await session.execute(delete(carts).where(carts.c.user_id == user_id))

    async def record_checkout(self, checkout: Checkout) -> None:
        try:
            async with self._connections.begin() as session:
                await session.execute(
                    insert(checkouts).values(**checkout_fields(checkout), created_at=self._now())
                )
        except IntegrityError:
            return  # recorded before (a replayed checkout): the first record stands

    async def open_checkout(self, order_id: str) -> Checkout | None:
        query = select(checkouts).where(
            checkouts.c.order_id == order_id, checkouts.c.settled_at.is_(None)
        )
        async with self._connections() as session:
            row = (await session.execute(query)).first()
        return None if row is None else checkout_of(row._asdict())

    async def note_confirmed(self, order_id: str) -> None:
        try:
            async with self._connections.begin() as session:
                await session.execute(
                    insert(confirmed_orders).values(order_id=order_id, confirmed_at=self._now())
                )
        except IntegrityError:
            return  # noted before (a redelivery)

    async def was_confirmed(self, order_id: str) -> bool:
        query = select(confirmed_orders.c.order_id).where(confirmed_orders.c.order_id == order_id)
        async with self._connections() as session:
            return (await session.scalar(query)) is not None

    async def settle(self, checkout: Checkout, cart: Cart) -> bool:
        async with self._connections() as session:
            settled = await session.execute(
                update(checkouts)
                .where(checkouts.c.order_id == checkout.order_id, checkouts.c.settled_at.is_(None))
                .values(settled_at=self._now())
            )
            if settled.rowcount != 1:
                return False
            if cart.changed:
                await _write_cart(session, cart)
            await session.commit()
        cart.mark_saved()
        return True

    async def purge(self, *, checkouts_before: datetime, confirmations_before: datetime) -> int:
        """Forget checkouts and noted confirmations older than these times (Redis expires
        its keys itself); returns how many rows went."""
        async with self._connections.begin() as session:
            old_checkouts = await session.execute(
                delete(checkouts).where(checkouts.c.created_at < checkouts_before)
            )
            old_confirmations = await session.execute(
                delete(confirmed_orders).where(
                    confirmed_orders.c.confirmed_at < confirmations_before
                )
            )
        return int(old_checkouts.rowcount or 0) + int(old_confirmations.rowcount or 0)

    def _now(self) -> datetime:
        return self._clock()


async def _write_cart(session: AsyncConnection, cart: Cart) -> None:
    values = {
        "cart_id": cart.id,
        "revision": cart.revision,
        "lines": encode_lines(cart),
        "updated_at": cart.updated_at,
    }
    if cart.base_revision == 0:
        try:
            await session.execute(insert(carts).values(user_id=cart.user_id, **values))
        except IntegrityError as error:
            raise CartChangedMeanwhile() from error  # the transaction is rolled back
        return
    result = await session.execute(
        update(carts)
        .where(
            carts.c.user_id == cart.user_id,
            carts.c.cart_id == cart.id,
            carts.c.revision == cart.base_revision,
        )
        .values(**values)
    )
    if result.rowcount != 1:
        raise CartChangedMeanwhile()
