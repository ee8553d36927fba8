"""SQL repositories: products and reservations, on the unit of work's session.

Concurrency is decided here, by the database: rows are locked in id order
(``SELECT ... FOR UPDATE``; on SQLite the whole database is locked by the unit of work's first
write) and stock only ever moves through conditional updates that can never go below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.batching import batch_keys
from commerce.kernel.db.shared_transaction import KeysFoundAhead, SharedTransaction
from commerce.kernel.repository import TrackingRepository
from commerce.product.adapters.outbound.rows import product_fields, product_row
from commerce.product.adapters.outbound.tables import products, reservation_lines, reservations
from commerce.product.application.errors import AnsweredMeanwhile, StockChanged
from commerce.product.domain.errors import DuplicateSku
from commerce.product.domain.events import RejectionReason, ReservedLine
from commerce.product.domain.product import Product
from commerce.product.domain.reservation import Reservation, ReservationStatus

MAX_PRODUCT_ID_LENGTH = 36


# Built once, values as parameters: the conditional update that keeps stock >= 0 (ADR 0051).
_TAKE_STOCK = (
    update(products)
    .where(products.c.id == bindparam("b_id"), products.c.stock >= bindparam("b_quantity"))
    .values(stock=products.c.stock - bindparam("b_quantity"))
)
_RETURN_STOCK = (
    update(products)
    .where(products.c.id == bindparam("b_id"))
    .values(stock=products.c.stock + bindparam("b_quantity"))
)
# Locks the order's products in id order, whatever their number (an expanding parameter).
_LOCK_PRODUCTS = (
    select(products)
    .where(products.c.id.in_(bindparam("b_ids", expanding=True)))
    .order_by(products.c.id)
    .with_for_update()
)


_READ_PRODUCTS = select(products).where(products.c.id.in_(bindparam("b_ids", expanding=True)))


class PendingStock:
    """MariaDB, in a consumer batch (docs/adr/0051, later section): the stock the batch's
    reservations take and its releases give back, per product, written just before the
    batch commits by one conditional UPDATE per product, in id order. A hot product's row is
    then locked for the end of the batch only, not from its first message on. If the stock
    is no longer there (another batch took it meanwhile), ``StockChanged`` undoes the batch,
    which is applied message by message, each with its products locked."""

    def __init__(self) -> None:
        self.deltas: dict[str, int] = {}
        # Each product as the batch first read it (None: no such product), read once per
        # batch: a hot product's row is not read again for each of its orders. Only the
        # stock changes within a batch, and ``deltas`` holds that; a later read could see
        # another transaction's change, which the final UPDATE checks anyway.
        self.read: dict[str, dict[str, Any] | None] = {}

    def add(self, product_id: str, quantity: int) -> None:
        self.deltas[product_id] = self.deltas.get(product_id, 0) + quantity

    async def write(self, session: AsyncConnection) -> None:
        for product_id in sorted(self.deltas):
            net = self.deltas[product_id]
            if net > 0:
                result = await session.execute(_TAKE_STOCK, {"b_id": product_id, "b_quantity": net})
                if result.rowcount != 1:
                    raise StockChanged(product_id)
            elif net < 0:
                await session.execute(_RETURN_STOCK, {"b_id": product_id, "b_quantity": -net})


class SqlaProductRepository(TrackingRepository[Product]):
    def __init__(self, session: AsyncConnection, shared: SharedTransaction | None = None) -> None:
        super().__init__()
        self._session = session
        # SQLite keeps its locks: its one writer lock is taken at the first write anyway, and
        # a read snapshot cannot become a write once another connection has written.
        self._pending = (
            None
            if shared is None or session.dialect.name == "sqlite"
            else shared.writer(PendingStock, PendingStock)
        )

    async def add(self, product: Product) -> None:
        try:
            await self._session.execute(insert(products).values(product_row(product)))
        except IntegrityError as exc:
            # The only unique key a client can hit: random ids do not collide.
            raise DuplicateSku(product.sku or "") from exc
        self._track(product)

    async def get_for_update(self, product_id: str) -> Product | None:
        found = await self.lock_many([product_id])
        return found.get(product_id)

    async def save(self, product: Product, fields: frozenset[str]) -> None:
        row = product_row(product)
        values = {field: row[field] for field in fields}
        if "name" in fields:
            values["search_name"] = row["search_name"]
        values["updated_at"] = product.updated_at
        await self._session.execute(
            update(products).where(products.c.id == product.id).values(values)
        )
        self._track(product)

    async def lock_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        ids = sorted({pid for pid in product_ids if len(pid) <= MAX_PRODUCT_ID_LENGTH})
        if not ids:
            return {}
        if self._pending is None:
            rows = (await self._session.execute(_LOCK_PRODUCTS, {"b_ids": ids})).all()
            found = {row.id: Product(**product_fields(row)) for row in rows}
        else:
            # Read, not locked: the batch's final UPDATE checks the stock is still there.
            # What the batch took or gave back already counts.
            read = self._pending.read
            unread = [pid for pid in ids if pid not in read]
            if unread:
                rows = (await self._session.execute(_READ_PRODUCTS, {"b_ids": unread})).all()
                fields_of = {row.id: product_fields(row) for row in rows}
                read.update({pid: fields_of.get(pid) for pid in unread})
            found = {}
            for pid in ids:
                as_read = read[pid]
                if as_read is None:
                    continue
                # Below zero: others took it meanwhile, and the final UPDATE will say so.
                stock = max(0, as_read["stock"] - self._pending.deltas.get(pid, 0))
                found[pid] = Product(**{**as_read, "stock": stock})
        self._track_all(found.values())
        return found

    async def take_stock(self, lines: Sequence[ReservedLine]) -> None:
        if self._pending is not None:
            for line in lines:
                self._pending.add(line.product_id, line.quantity)
            return
        for line in sorted(lines, key=lambda item: item.product_id):
            result = await self._session.execute(
                _TAKE_STOCK, {"b_id": line.product_id, "b_quantity": line.quantity}
            )
            if result.rowcount != 1:
                raise StockChanged(line.product_id)

    async def return_stock(self, lines: Sequence[ReservedLine]) -> None:
        if self._pending is not None:
            for line in lines:
                self._pending.add(line.product_id, -line.quantity)
            return
        for line in sorted(lines, key=lambda item: item.product_id):
            await self._session.execute(
                _RETURN_STOCK, {"b_id": line.product_id, "b_quantity": line.quantity}
            )


_SAVE_RESERVATION = update(reservations).where(reservations.c.order_id == bindparam("b_order_id"))
# Asked once per OrderPlaced (is this order answered already?): built once as well.
_RESERVATION_FOR_UPDATE = (
    select(reservations).where(reservations.c.order_id == bindparam("b_order_id")).with_for_update()
)
_RESERVATION_LINES = (
    select(reservation_lines)
    .where(reservation_lines.c.order_id == bindparam("b_order_id"))
    .order_by(reservation_lines.c.product_id)
)
_ADD_RESERVATION = insert(reservations)
_ADD_RESERVATION_LINES = insert(reservation_lines)
# Which of a batch's orders were answered before it, asked once for the batch's keys (its
# orders' ids) instead of a locking read per OrderPlaced that almost always found nothing: a
# plain read, no row or gap locks. An order answered by another transaction after it makes
# the batch's insert fail on its primary key, and the batch goes message by message, where
# the locking read sees that answer (as PendingReservations says; docs/adr/0047).
_ANSWERED_AMONG = select(reservations.c.order_id).where(
    reservations.c.order_id.in_(bindparam("b_keys", expanding=True))
)


class PendingReservations:
    """The reservations a consumer batch added, inserted together (reservations, then their
    lines) just before it commits, as each stands then. Later messages of the batch find them
    here. A duplicate order fails the batch's insert; the batch is then applied message by
    message, where :meth:`SqlaReservationRepository.add` answers ``AnsweredMeanwhile``."""

    def __init__(self) -> None:
        self.by_order: dict[str, Reservation] = {}

    async def write(self, session: AsyncConnection) -> None:
        if not self.by_order:
            return
        added = list(self.by_order.values())
        await session.execute(_ADD_RESERVATION, [_reservation_row(r) for r in added])
        lines = [row for reservation in added for row in _line_rows(reservation)]
        if lines:
            await session.execute(_ADD_RESERVATION_LINES, lines)


class SqlaReservationRepository(TrackingRepository[Reservation]):
    def __init__(self, session: AsyncConnection, shared: SharedTransaction | None = None) -> None:
        super().__init__()
        self._session = session
        # In a consumer batch, new reservations wait there: two statements a batch, not a message.
        self._pending = (
            None if shared is None else shared.writer(PendingReservations, PendingReservations)
        )
        keys = batch_keys()
        self._answered_before = (
            None
            if shared is None or not keys
            else shared.scoped("answered-before", lambda: KeysFoundAhead(keys, _ANSWERED_AMONG))
        )

    async def get_for_update(self, order_id: str) -> Reservation | None:
        if self._pending is not None and order_id in self._pending.by_order:
            pending = self._pending.by_order[order_id]
            self._track(pending)
            return pending
        if (
            self._answered_before is not None
            and await self._answered_before.found(self._session, order_id) is False
        ):
            return None  # the batch's read ahead found no answer for it
        key = {"b_order_id": order_id}
        row = (await self._session.execute(_RESERVATION_FOR_UPDATE, key)).first()
        if row is None:
            return None
        line_rows = (await self._session.execute(_RESERVATION_LINES, key)).all()
        reservation = Reservation(
            order_id=row.order_id,
            status=ReservationStatus(row.status),
            lines=[ReservedLine(r.product_id, r.quantity, r.unit_price) for r in line_rows],
            reason=RejectionReason(row.reason) if row.reason else None,
            rejected_product_ids=row.rejected_product_ids or (),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._track(reservation)
        return reservation

    async def add(self, reservation: Reservation) -> None:
        if self._pending is not None:
            if reservation.order_id in self._pending.by_order:
                raise AnsweredMeanwhile(reservation.order_id)
            self._pending.by_order[reservation.order_id] = reservation
            self._track(reservation)
            return
        # A second answer for the same order (a concurrent re-drive) fails on the primary key:
        # the transaction is rolled back and the retried message finds the first answer.
        try:
            await self._session.execute(_ADD_RESERVATION, _reservation_row(reservation))
        except IntegrityError as error:
            # Classified here, where the driver's error is known: the caller sees a race it
            # may retry (a fresh attempt repeats the first answer), not a database error.
            raise AnsweredMeanwhile(reservation.order_id) from error
        if reservation.lines:
            await self._session.execute(_ADD_RESERVATION_LINES, _line_rows(reservation))
        self._track(reservation)

    async def save(self, reservation: Reservation) -> None:
        self._track(reservation)
        if (
            self._pending is not None
            and self._pending.by_order.get(reservation.order_id) is reservation
        ):
            return  # not inserted yet: the batch inserts it as it stands then
        await self._session.execute(
            _SAVE_RESERVATION,
            {
                "b_order_id": reservation.order_id,
                "status": reservation.status.value,
                "updated_at": reservation.updated_at,
            },
        )


def _line_rows(reservation: Reservation) -> list[dict[str, object]]:
    return [
        {
            "order_id": reservation.order_id,
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for line in reservation.lines
    ]


def _reservation_row(reservation: Reservation) -> dict[str, object]:
    return {
        "order_id": reservation.order_id,
        "status": reservation.status.value,
        "reason": reservation.reason.value if reservation.reason else None,
        "rejected_product_ids": list(reservation.rejected_product_ids) or None,
        "created_at": reservation.created_at,
        "updated_at": reservation.updated_at,
    }
