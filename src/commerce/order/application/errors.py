"""Errors of the order use cases (the HTTP adapter maps them by family)."""

from __future__ import annotations

from commerce.kernel.domain import Conflict, InvalidInput, NotFound


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
