"""Domain events the Order aggregate raises; the outbox turns them into integration events."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.kernel.domain import DomainEvent


@dataclass(frozen=True, kw_only=True)
class RequestedLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """The catalog is asked to reserve every line (raised again by each re-drive)."""

    order_id: str
    user_id: str
    lines: tuple[RequestedLine, ...]


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(DomainEvent):
    """The catalog reserved every line; ``total`` is the sum of its prices."""

    order_id: str
    total: int


@dataclass(frozen=True, kw_only=True)
class OrderRejected(DomainEvent):
    """The catalog reserved nothing; ``reason`` is its code (``OUT_OF_STOCK``, ...)."""

    order_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    """The catalog must release whatever it holds for this order (idempotent on its side)."""

    order_id: str
