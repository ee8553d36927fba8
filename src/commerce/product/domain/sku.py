"""A seller's own code for a product (unique per seller)."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.kernel.domain import InvalidInput
from commerce.product.domain.limits import MAX_SKU_LENGTH


@dataclass(frozen=True, slots=True)
class Sku:
    """1..64 characters, surrounding blanks dropped (``" TEA-1 "`` is ``"TEA-1"``)."""

    value: str

    def __post_init__(self) -> None:
        if self.value != self.value.strip() or not 1 <= len(self.value) <= MAX_SKU_LENGTH:
            raise InvalidInput(f"sku must have 1..{MAX_SKU_LENGTH} characters.", code="invalid_sku")

    @classmethod
    def parse(cls, raw: str) -> Sku:
        return cls(raw.strip())
