"""The catalog view in SQL: read by requests, written by the catalog events' unit of work.

Stock changes are single statements (``stock = stock - q``, floored at 0), so events of one
product applied concurrently from different partitions never lose one another's change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Executable, and_, bindparam, case, delete, insert, select, update
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from commerce.cart.adapters.outbound.tables import catalog_view, view_reservations
from commerce.cart.domain.catalog import CatalogEntry
from commerce.kernel.batching import batch_keys
from commerce.kernel.db.shared_transaction import KeysFoundAhead, SharedTransaction
from commerce.kernel.ports import Clock

_LOWER = (
    update(catalog_view)
    .where(catalog_view.c.product_id == bindparam("b_product_id"))
    .values(
        stock=case(
            (
                catalog_view.c.stock > bindparam("b_units"),
                catalog_view.c.stock - bindparam("b_units"),
            ),
            else_=0,
        )
    )
)
_RAISE = (
    update(catalog_view)
    .where(catalog_view.c.product_id == bindparam("b_product_id"))
    .values(stock=catalog_view.c.stock + bindparam("b_units"))
)


def _upsert(dialect: str) -> Executable:
    if dialect == "sqlite":
        statement = sqlite.insert(catalog_view)
        return statement.on_conflict_do_update(
            index_elements=[catalog_view.c.product_id],
            set_={c: statement.excluded[c] for c in ("name", "price", "stock")},
        )
    my = mysql.insert(catalog_view)
    return my.on_duplicate_key_update(
        name=my.inserted.name, price=my.inserted.price, stock=my.inserted.stock
    )


def _insert_new(dialect: str) -> Executable:
    """An INSERT of a view entry that leaves an existing one as it is."""
    if dialect == "sqlite":
        return sqlite.insert(catalog_view).on_conflict_do_nothing()
    statement = mysql.insert(catalog_view)
    return statement.on_duplicate_key_update(product_id=catalog_view.c.product_id)


def _entry(row: object) -> CatalogEntry:
    return CatalogEntry(row.product_id, row.name, int(row.price), int(row.stock))  # type: ignore[attr-defined]


class SqlaCatalogView:
    """What requests read (never the product service) and what a first PUT seeds."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def entries(self, product_ids: Iterable[str]) -> dict[str, CatalogEntry]:
        wanted = sorted(set(product_ids))
        if not wanted:
            return {}
        query = select(catalog_view).where(catalog_view.c.product_id.in_(wanted))
        async with self._engine.connect() as session:
            rows = (await session.execute(query)).all()
        return {row.product_id: _entry(row) for row in rows}

    async def seed(self, entry: CatalogEntry) -> None:
        async with self._engine.begin() as session:
            await session.execute(
                _insert_new(session.dialect.name),
                {
                    "product_id": entry.product_id,
                    "name": entry.name,
                    "price": entry.price,
                    "stock": entry.stock,
                },
            )

    async def purge_reservations(self, *, before: datetime) -> int:
        """Forget reservations older than ``before``: a release that late gives nothing back
        to the view, and the product's next event sets its stock right."""
        old = view_reservations.c.reserved_at < before
        async with self._engine.begin() as session:
            result = await session.execute(delete(view_reservations).where(old))
        return int(result.rowcount or 0)


_RESERVED_AMONG = select(view_reservations.c.order_id).where(
    view_reservations.c.order_id.in_(bindparam("b_keys", expanding=True))
)


class BatchViewReservations:
    """In a consumer batch (docs/adr/0047): which of the orders its messages are keyed by
    (catalog events of an order are keyed by its id) the view reserved for before, read in one
    statement at the batch's first question, and the reservations the batch records.

    The stock those reservations take is summed per product and lowered with one statement
    per product just before the batch commits (a popular product's reservations in a batch
    cost one UPDATE, not one each); the reservations are then inserted together. A release
    later in the batch of one of them only takes its units off the sum. Anything that must
    see the view's stock as it stands (an absolute ``put``, a release of an older
    reservation) lowers what is pending first, so the order of the changes is kept; and
    lowering twice is lowering once by the sum, the floor at zero included.
    """

    def __init__(self, keys: frozenset[str]) -> None:
        self._reserved_before = KeysFoundAhead(keys, _RESERVED_AMONG)
        self.added: dict[str, list[dict[str, object]]] = {}
        self._lowering: Counter[str] = Counter()

    async def reserved_before(self, session: AsyncConnection, order_id: str) -> bool | None:
        """Whether the table held the order's reservation; ``None``: not read ahead."""
        return await self._reserved_before.found(session, order_id)

    def reserve(self, order_id: str, rows: list[dict[str, object]]) -> None:
        self.added[order_id] = rows
        for row in rows:
            self._lowering[str(row["product_id"])] += int(row["quantity"])  # type: ignore[call-overload]

    def release(self, order_id: str) -> bool:
        """Gives back a reservation of this batch; ``False``: it is not one."""
        rows = self.added.get(order_id)
        if rows is None:
            return False
        for row in rows:
            if not row["released"]:
                self._lowering[str(row["product_id"])] -= int(row["quantity"])  # type: ignore[call-overload]
            row["released"] = True
        return True

    async def lower_stock(self, session: AsyncConnection) -> None:
        """Applies what is pending, in product order (one lock order for every transaction).
        A product the view does not know takes nothing, so its reservations hold nothing to
        give back. Less than nothing pending: reservations lowered at an earlier call and
        released since give their units back."""
        pending = sorted((p, units) for p, units in self._lowering.items() if units)
        self._lowering.clear()
        for product_id, units in pending:
            if units < 0:
                await session.execute(_RAISE, {"b_product_id": product_id, "b_units": -units})
                continue
            lowered = await session.execute(_LOWER, {"b_product_id": product_id, "b_units": units})
            if not lowered.rowcount:  # rows matched, changed or not (both dialects)
                for rows in self.added.values():
                    for row in rows:
                        if row["product_id"] == product_id and not row["released"]:
                            row["quantity"] = 0

    async def write(self, session: AsyncConnection) -> None:
        await self.lower_stock(session)
        rows = [row for rows in self.added.values() for row in rows]
        if rows:
            await session.execute(insert(view_reservations), rows)


class SqlaCatalogViewWriter:
    """Never commits: the unit of work does, with the inbox row of the event."""

    def __init__(
        self, session: AsyncConnection, clock: Clock, shared: SharedTransaction | None = None
    ) -> None:
        self._session = session
        self._clock = clock
        self._batch = (
            None
            if shared is None
            else shared.writer(BatchViewReservations, lambda: BatchViewReservations(batch_keys()))
        )

    async def put(self, entry: CatalogEntry) -> None:
        if self._batch is not None:
            await self._batch.lower_stock(self._session)  # reservations before it come first
        await self._session.execute(
            _upsert(self._session.dialect.name),
            {
                "product_id": entry.product_id,
                "name": entry.name,
                "price": entry.price,
                "stock": entry.stock,
            },
        )

    async def reserve(self, order_id: str, units: Mapping[str, int]) -> None:
        # A reservation is announced again when the order service re-drives the order (a new
        # event id): the rows recorded the first time make the repetition a no-op.
        if await self._reserved_already(order_id):
            return
        now: datetime = self._clock()
        rows: list[dict[str, object]] = [
            {
                "order_id": order_id,
                "product_id": product_id,
                "quantity": quantity,
                "released": False,
                "reserved_at": now,
            }
            for product_id, quantity in sorted(units.items())
        ]
        if self._batch is not None:
            self._batch.reserve(order_id, rows)  # lowered and inserted with the batch's others
            return
        alone = BatchViewReservations(frozenset())  # the same writing, for this one at once
        alone.reserve(order_id, rows)
        await alone.write(self._session)

    async def _reserved_already(self, order_id: str) -> bool:
        if self._batch is not None:
            if order_id in self._batch.added:
                return True
            before = await self._batch.reserved_before(self._session, order_id)
            if before is not None:
                return before
        seen = await self._session.scalar(
            select(view_reservations.c.order_id).where(view_reservations.c.order_id == order_id)
        )
        return seen is not None

    async def release(self, order_id: str) -> None:
        if self._batch is not None:
            if self._batch.release(order_id):  # reserved in this batch: not even lowered yet
                return
            await self._batch.lower_stock(self._session)  # changes before it come first
        held = and_(
            view_reservations.c.order_id == order_id, view_reservations.c.released.is_(False)
        )
        rows = (
            await self._session.execute(
                select(view_reservations.c.product_id, view_reservations.c.quantity)
                .where(held)
                .order_by(view_reservations.c.product_id)
            )
        ).all()
        if not rows:
            return
        await self._session.execute(update(view_reservations).where(held).values(released=True))
        for product_id, quantity in rows:
            if quantity:
                await self._session.execute(
                    _RAISE, {"b_product_id": product_id, "b_units": quantity}
                )
