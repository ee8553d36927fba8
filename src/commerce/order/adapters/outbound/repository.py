"""Orders as whole aggregates over the ``orders`` and ``order_lines`` tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, insert, or_, select, true, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.batching import batch_keys
from commerce.kernel.db.shared_transaction import SharedTransaction
from commerce.kernel.repository import TrackingRepository
from commerce.order.adapters.outbound.tables import order_lines, orders
from commerce.order.application.ports import DuplicatePlacement, PlacementRequest, StaleOrder
from commerce.order.domain.lines import OrderLine
from commerce.order.domain.order import Awaiting, Order, OrderStatus
from commerce.order.domain.payment import PaymentChoice, PaymentMethod, PaymentStatus
from commerce.order.domain.redrive import RedriveSchedule
from commerce.order.domain.shipment import Shipment

# Built once; the row's values come as parameters (a statement per call costs its coercion,
# cache key and compilation every time).
_SAVE_ORDER = update(orders).where(
    orders.c.id == bindparam("b_id"), orders.c.version == bindparam("b_version")
)
_PRICE_LINE = (
    update(order_lines)
    .where(
        order_lines.c.order_id == bindparam("b_order_id"),
        order_lines.c.line_no == bindparam("b_line_no"),
    )
    .values(unit_price=bindparam("b_unit_price"))
)
_ADD_ORDER = insert(orders)
_ADD_LINES = insert(order_lines)

_WITH_LINES = select(
    orders,
    order_lines.c.product_id.label("line_product_id"),
    order_lines.c.quantity.label("line_quantity"),
    order_lines.c.unit_price.label("line_unit_price"),
).outerjoin(order_lines, order_lines.c.order_id == orders.c.id)
_ORDER_WITH_LINES = _WITH_LINES.where(orders.c.id == bindparam("b_order_id")).order_by(
    order_lines.c.line_no
)
_ORDERS_WITH_LINES = _WITH_LINES.where(
    orders.c.id.in_(bindparam("b_order_ids", expanding=True))
).order_by(orders.c.id, order_lines.c.line_no)


class OrdersReadAhead:
    """In a consumer batch, the orders its messages are keyed by (catalog and payment replies
    are keyed by order id), read in one statement when the batch first asks for one of them
    (docs/adr/0047). Each is handed out once; a second read of the same order in the batch
    goes to the table, where it sees what the batch wrote. A row read ahead that another
    transaction changed meanwhile fails the save's version check, like any stale read."""

    def __init__(self, keys: frozenset[str]) -> None:
        self._wanted = set(keys)
        self._rows: dict[str, list[RowMapping]] | None = None

    async def take(self, session: AsyncConnection, order_id: str) -> list[RowMapping] | None:
        """The order's rows (none: no such order), or ``None`` when it was not read ahead."""
        if order_id not in self._wanted:
            return None
        if self._rows is None:
            self._rows = {}
            wanted = {"b_order_ids": sorted(self._wanted)}
            for row in await session.execute(_ORDERS_WITH_LINES, wanted):
                self._rows.setdefault(row.id, []).append(row._mapping)
        self._wanted.discard(order_id)
        return self._rows.pop(order_id, [])


class BatchOrderSaves:
    """In a consumer batch (docs/adr/0047): the batch's saves of orders and of their lines'
    prices, each sent as one executemany just before the commit instead of a statement per
    order. The version check is the summed row count: if any order changed meanwhile, the
    batch fails and its messages go one by one, where the stale order fails on its own. A
    read of an order with a save pending writes what is pending first, so it sees the batch's
    change (:meth:`SqlaOrderRepository.get`). Written before the batch's held-units releases
    (registered when the batch's first unit of work builds its repository, before any
    release), so a batch still locks order rows before user rows."""

    def __init__(self) -> None:
        self._saves: list[dict[str, Any]] = []
        self._prices: list[dict[str, Any]] = []
        self._pending: set[str] = set()

    def add(self, order_id: str, save: dict[str, Any], prices: list[dict[str, Any]]) -> None:
        self._saves.append(save)
        self._prices.extend(prices)
        self._pending.add(order_id)

    def pending(self, order_id: str) -> bool:
        return order_id in self._pending

    async def write(self, session: AsyncConnection) -> None:
        saves, prices, pending = self._saves, self._prices, self._pending
        self._saves, self._prices, self._pending = [], [], set()
        if saves:
            result = await session.execute(_SAVE_ORDER, saves)
            if result.rowcount != len(saves):
                raise StaleOrder(f"one of {', '.join(sorted(pending))}")
        if prices:
            await session.execute(_PRICE_LINE, prices)


class SqlaOrderRepository(TrackingRepository[Order]):
    """Never commits; remembers the orders it handed out so the unit of work finds their events."""

    def __init__(self, session: AsyncConnection, shared: SharedTransaction | None = None) -> None:
        super().__init__()
        self._session = session
        keys = batch_keys()
        self._read_ahead = (
            None
            if shared is None or not keys
            else shared.scoped(OrdersReadAhead, lambda: OrdersReadAhead(keys))
        )
        # In a consumer batch, saves wait there: one statement a batch, not an order.
        self._saves = None if shared is None else shared.writer(BatchOrderSaves, BatchOrderSaves)
        # The lines' prices as stored, per order seen: a save writes only those that moved
        # (an order is priced once, and saved again at every later step of its saga).
        self._stored_prices: dict[str, list[int | None]] = {}
        # The orders this unit of work wrote, for live streams once it commits (ADR 0065).
        self.written: dict[str, Order] = {}

    async def add(self, order: Order, request: PlacementRequest | None = None) -> None:
        values = _order_values(order)
        values.update(
            id=order.id,
            user_id=order.user_id,
            payment_method=order.payment.method.value,
            payment_token=order.payment.token,
            created_at=order.created_at,
            version=order.version,
            idempotency_key_hash=request.key_hash if request else None,
            request_fingerprint=request.fingerprint if request else None,
        )
        try:
            await self._session.execute(_ADD_ORDER, values)
        except IntegrityError as error:
            if request is None:
                raise
            raise DuplicatePlacement() from error
        await self._session.execute(
            _ADD_LINES,
            [
                {
                    "order_id": order.id,
                    "line_no": number,
                    "product_id": line.product_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for number, line in enumerate(order.lines)
            ],
        )
        self._stored_prices[order.id] = [line.unit_price for line in order.lines]
        self._track(order)

    async def get(self, order_id: str) -> Order | None:
        if self._saves is not None and self._saves.pending(order_id):
            await self._saves.write(self._session)  # saved earlier in this batch: read that
        rows = None
        if self._read_ahead is not None:
            rows = await self._read_ahead.take(self._session, order_id)
        if rows is None:
            # One round trip: the order's row repeated beside each of its lines.
            rows = [
                row._mapping
                for row in await self._session.execute(_ORDER_WITH_LINES, {"b_order_id": order_id})
            ]
        if not rows:
            return None
        lines = [
            OrderLine(row["line_product_id"], row["line_quantity"], row["line_unit_price"])
            for row in rows
            if row["line_product_id"] is not None
        ]
        order = _order(rows[0], lines)
        self._stored_prices[order.id] = [line.unit_price for line in lines]
        self._track(order)
        return order

    async def find_placement(self, user_id: str, key_hash: str) -> tuple[Order, str] | None:
        row = (
            await self._session.execute(
                select(orders.c.id, orders.c.request_fingerprint).where(
                    orders.c.user_id == user_id, orders.c.idempotency_key_hash == key_hash
                )
            )
        ).first()
        if row is None:
            return None
        order = await self.get(row.id)
        assert order is not None
        return order, row.request_fingerprint

    async def save(self, order: Order) -> None:
        values = {
            **_order_values(order),
            "version": order.version + 1,
            "b_id": order.id,
            "b_version": order.version,
        }
        stored = self._stored_prices.get(order.id)
        moved = [
            {"b_order_id": order.id, "b_line_no": number, "b_unit_price": line.unit_price}
            for number, line in enumerate(order.lines)
            if stored is None or number >= len(stored) or stored[number] != line.unit_price
        ]
        if self._saves is not None:
            self._saves.add(order.id, values, moved)
        else:
            result = await self._session.execute(_SAVE_ORDER, values)
            if result.rowcount != 1:
                raise StaleOrder(order.id)
            if moved:
                await self._session.execute(_PRICE_LINE, moved)
        self._stored_prices[order.id] = [line.unit_price for line in order.lines]
        order.stored()
        self.written[order.id] = order

    async def due_for_redrive(
        self,
        now: datetime,
        *,
        schedule: RedriveSchedule,
        limit: int,
        backlog: timedelta = timedelta(0),
    ) -> Sequence[str]:
        # One condition per distinct wait of the schedule (a handful: it doubles up to its cap),
        # so the database compares plain timestamps alike on SQLite and MariaDB.
        steps = schedule.steps()
        quiet = or_(
            *(
                and_(
                    _sends_between(count, steps[i + 1][0] if i + 1 < len(steps) else None),
                    orders.c.last_published_at <= now - backlog - wait,
                )
                for i, (count, wait) in enumerate(steps)
            ),
            # Waited for the payment beyond its deadline, however recently it asked again.
            and_(
                orders.c.awaiting == Awaiting.PAYMENT.value,
                orders.c.payment_requested_at <= now - schedule.payment_deadline,
            ),
        )
        rows = await self._session.execute(
            select(orders.c.id)
            .where(orders.c.awaiting.is_not(None), quiet)
            .order_by(orders.c.last_published_at)
            .limit(limit)
        )
        return list(rows.scalars())


def _sends_between(first: int, next_step: int | None) -> ColumnElement[bool]:
    """``publish_count`` in ``[first, next_step)``; the first step also takes counts below it."""
    lower = orders.c.publish_count >= first if first > 1 else true()
    upper = orders.c.publish_count < next_step if next_step is not None else true()
    return and_(lower, upper)


def _order_values(order: Order) -> dict[str, Any]:
    """The columns an order's behaviour can change."""
    shipment = order.shipment
    return {
        "status": order.status.value,
        "reason": order.reason,
        "total": order.total,
        "payment_status": order.payment_status.value,
        "payment_requested_at": order.payment_requested_at,
        "shipment_carrier": shipment.carrier if shipment else None,
        "shipment_tracking_number": shipment.tracking_number if shipment else None,
        "shipped_at": shipment.shipped_at if shipment else None,
        "delivered_at": shipment.delivered_at if shipment else None,
        "awaiting": order.awaiting.value if order.awaiting else None,
        "last_published_at": order.last_published_at,
        "publish_count": order.publish_count,
        "updated_at": order.updated_at,
    }


def _order(row: RowMapping, lines: list[OrderLine]) -> Order:
    return Order(
        id=row["id"],
        user_id=row["user_id"],
        lines=lines,
        status=OrderStatus(row["status"]),
        reason=row["reason"],
        payment=PaymentChoice(PaymentMethod(row["payment_method"]), row["payment_token"]),
        payment_status=PaymentStatus(row["payment_status"]),
        payment_requested_at=row["payment_requested_at"],
        shipment=_shipment(row),
        awaiting=Awaiting(row["awaiting"]) if row["awaiting"] else None,
        last_published_at=row["last_published_at"],
        publish_count=row["publish_count"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _shipment(row: RowMapping) -> Shipment | None:
    if row["shipped_at"] is None:
        return None
    return Shipment(
        row["shipment_carrier"],
        row["shipment_tracking_number"],
        shipped_at=row["shipped_at"],
        delivered_at=row["delivered_at"],
    )
