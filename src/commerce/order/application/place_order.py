"""Use case: place an order (PENDING) and ask the catalog to reserve it, exactly once per key,
within its owner's cap on held units; it is paid by the chosen method (invoice by default)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from commerce.kernel.ports import Clock, IdFactory
from commerce.order.application.commands import PlaceOrder
from commerce.order.application.errors import HeldUnitsCapReached, IdempotencyKeyReused
from commerce.order.application.ports import DuplicatePlacement, OrderUnitOfWork, PlacementRequest
from commerce.order.application.views import OrderView
from commerce.order.domain.order import Order
from commerce.order.domain.payment import INVOICE, PaymentChoice


@dataclass(frozen=True)
class Placement:
    order: OrderView
    created: bool  # False: a replay of an earlier request with the same key


def placement_request(command: PlaceOrder) -> PlacementRequest | None:
    if command.idempotency_key is None:
        return None
    lines = [[product_id, quantity] for product_id, quantity in command.lines]
    payment = command.payment
    # Without a payment the fingerprint is what it was before v1.1: a key sent before an
    # upgrade still matches its replay after it.
    fingerprinted: object = (
        lines if payment is None else {"lines": lines, "payment": [payment.method, payment.token]}
    )
    body = json.dumps(fingerprinted)
    return PlacementRequest(
        key_hash=hashlib.sha256(command.idempotency_key.encode()).hexdigest(),
        fingerprint=hashlib.sha256(body.encode()).hexdigest(),
    )


class PlaceOrderHandler:
    """Writes the order and its OrderPlaced event in one transaction; calls no other service.

    With an idempotency key, a unique constraint on (user, key) decides between concurrent
    duplicates: the loser's insert fails and it answers with the winner's order. A replay is
    found the same way, so the usual first request costs no look-up beforehand.

    The order's units are then held against ``max_held_units`` (ADR 0063) in the same
    transaction; over the cap it is undone whole: no order, no event, no reservation.
    """

    def __init__(
        self,
        uow: Callable[[], OrderUnitOfWork],
        clock: Clock,
        new_id: IdFactory,
        *,
        max_held_units: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id
        self._max_held_units = max_held_units

    async def __call__(self, command: PlaceOrder) -> Placement:
        request = placement_request(command)
        payment = (
            INVOICE
            if command.payment is None
            else PaymentChoice.of(command.payment.method, command.payment.token)
        )
        order = Order.place(
            order_id=self._new_id(),
            user_id=command.user_id,
            lines=command.lines,
            now=self._clock(),
            payment=payment,
        )
        try:
            async with self._uow() as uow:
                await uow.orders.add(order, request)
                # Held after the insert: a replay has failed there already and answers with its
                # order, however much its user holds by now (it is no new hold).
                await self._hold(uow, order)
                await uow.commit()
        except DuplicatePlacement:
            assert request is not None
            earlier = await self._earlier(command.user_id, request)
            if earlier is None:  # the first request's row is committed before our insert fails
                raise
            return earlier
        return Placement(OrderView.of(order), created=True)

    async def _hold(self, uow: OrderUnitOfWork, order: Order) -> None:
        units, cap = order.held_units, self._max_held_units
        if not await uow.held_units.hold(order.user_id, units, cap=cap):
            held = await uow.held_units.held_by(order.user_id)
            raise HeldUnitsCapReached(cap=cap, held=held, wanted=units)

    async def _earlier(self, user_id: str, request: PlacementRequest) -> Placement | None:
        async with self._uow() as uow:
            found = await uow.orders.find_placement(user_id, request.key_hash)
        if found is None:
            return None
        order, fingerprint = found
        if fingerprint != request.fingerprint:
            raise IdempotencyKeyReused()
        return Placement(OrderView.of(order), created=False)
