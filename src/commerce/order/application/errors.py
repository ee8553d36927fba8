"""Errors of the order use cases (the HTTP adapter maps them by family)."""

from __future__ import annotations

from commerce.kernel.domain import InvalidInput, NotFound


class OrderNotFound(NotFound):
    """Also the answer for another user's order: its existence is not the caller's business."""

    code = "order_not_found"

    def __init__(self) -> None:
        super().__init__("No such order.")


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request body.")
