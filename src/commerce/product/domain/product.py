"""The Product aggregate: what a seller offers, at which price, and how many are available."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.kernel.domain import AggregateRoot
from commerce.product.domain import limits
from commerce.product.domain.errors import NotTheSeller, OutOfStock
from commerce.product.domain.events import ProductCreated, ProductUpdated, ReservedLine
from commerce.product.domain.sku import Sku


@dataclass(frozen=True)
class ProductChanges:
    """A seller's edit; ``None`` leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    price: int | None = None
    stock: int | None = None


class Product(AggregateRoot):
    """``stock`` is what new orders can still get: reserved units are already taken out."""

    def __init__(
        self,
        *,
        id: str,
        seller_id: str,
        name: str,
        description: str,
        price: int,
        stock: int,
        sku: str | None,
        created_at: datetime,
        updated_at: datetime,
    ) -> None:
        super().__init__()
        self.id = id
        self.seller_id = seller_id
        self.name = name
        self.description = description
        self.price = price
        self.stock = stock
        self.sku = sku
        self.created_at = created_at
        self.updated_at = updated_at

    @classmethod
    def create(
        cls,
        *,
        product_id: str,
        seller_id: str,
        name: str,
        price: int,
        stock: int,
        now: datetime,
        description: str = "",
        sku: str | None = None,
    ) -> Product:
        """A new product listed by ``seller_id``; records ProductCreated."""
        product = cls(
            id=product_id,
            seller_id=seller_id,
            name=limits.checked_name(name),
            description=limits.checked_description(description),
            price=limits.checked_price(price),
            stock=limits.checked_stock(stock),
            sku=None if sku is None else Sku.parse(sku).value,
            created_at=now,
            updated_at=now,
        )
        product.record(
            ProductCreated(
                product_id=product.id,
                seller_id=seller_id,
                name=product.name,
                price=product.price,
                stock=product.stock,
                occurred_at=now,
            )
        )
        return product

    def edit(self, changes: ProductChanges, *, by: str, now: datetime) -> frozenset[str]:
        """Apply a seller's edit; returns the names of the fields that really changed."""
        if by != self.seller_id:
            raise NotTheSeller()
        # Validate everything first so that a bad field leaves the product untouched.
        wanted = {
            "name": None if changes.name is None else limits.checked_name(changes.name),
            "description": None
            if changes.description is None
            else limits.checked_description(changes.description),
            "price": None if changes.price is None else limits.checked_price(changes.price),
            "stock": None if changes.stock is None else limits.checked_stock(changes.stock),
        }
        changed = frozenset(
            field
            for field, value in wanted.items()
            if value is not None and value != getattr(self, field)
        )
        for field in changed:
            setattr(self, field, wanted[field])
        if changed:
            self.updated_at = now
            self.record(
                ProductUpdated(
                    product_id=self.id,
                    name=self.name,
                    price=self.price,
                    stock=self.stock,
                    occurred_at=now,
                )
            )
        return changed

    def can_reserve(self, quantity: int) -> bool:
        return limits.checked_quantity(quantity) <= self.stock

    def reserve(self, quantity: int) -> ReservedLine:
        """Take ``quantity`` units out of the available stock, at today's price."""
        if not self.can_reserve(quantity):
            raise OutOfStock(self.id, quantity, self.stock)
        self.stock -= quantity
        return ReservedLine(product_id=self.id, quantity=quantity, unit_price=self.price)

    def release(self, quantity: int) -> None:
        """Give back units a reservation held (no upper limit: they were ours already)."""
        self.stock += limits.checked_quantity(quantity)
