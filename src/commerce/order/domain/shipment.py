"""The shipment of an order: which carrier took it, and when it left and arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.kernel.domain import InvalidInput

MAX_SHIPMENT_TEXT = 100


@dataclass(frozen=True)
class Shipment:
    """The carrier that took the order and when; ``delivered_at`` once it arrived."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime | None = None

    def __post_init__(self) -> None:
        for name, value in (("carrier", self.carrier), ("tracking_number", self.tracking_number)):
            if not 1 <= len(value) <= MAX_SHIPMENT_TEXT:
                raise InvalidInput(
                    f"A {name} has 1 to {MAX_SHIPMENT_TEXT} characters.",
                    code="invalid_shipment",
                    field=name,
                )
