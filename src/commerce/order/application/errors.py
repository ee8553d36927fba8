"""Errors of the order use cases (the HTTP adapter maps them by family)."""

from __future__ import annotations

from commerce.kernel.domain import Conflict, Forbidden, InvalidInput, NotFound


class OrderNotFound(NotFound):
    """Also the answer for another user's order: its existence is not the caller's business."""

    code = "order_not_found"

    def __init__(self) -> None:
        super().__init__("No such order.")


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request body.")


class OrderChangedMeanwhile(Conflict):
    """The order kept changing under a use case through all its attempts (rare contention).

    A 409 the client may simply repeat, not a 500: nothing was written (ADR 0060).
    """

    code = "order_changed_meanwhile"

    def __init__(self) -> None:
        super().__init__("The order changed meanwhile; retry the request.")


class HeldUnitsCapReached(Conflict):
    """The user's orders that are not final would together hold more units than the cap
    (ADR 0063); nothing was written, nothing reserved."""

    code = "held_units_cap_reached"

    def __init__(self, *, cap: int, held: int, wanted: int) -> None:
        super().__init__(
            f"Orders that are not final may hold at most {cap} units per customer; "
            f"yours hold {held} now, and this order would add {wanted}."
        )
        self.cap = cap
        self.held = held
        self.wanted = wanted


class NotStaff(Forbidden):
    """Fulfilment and every customer's orders are for STAFF only."""

    code = "staff_only"

    def __init__(self) -> None:
        super().__init__("Only STAFF may do this.")
