"""Everything the inbound adapters may call, wired once by the bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.product.application.catalog import CreateProductHandler, EditProductHandler
from commerce.product.application.queries import ProductReader
from commerce.product.application.stock import ReleaseStockHandler, ReserveStockHandler


@dataclass(frozen=True)
class ProductUseCases:
    create: CreateProductHandler
    edit: EditProductHandler
    read: ProductReader
    reserve: ReserveStockHandler
    release: ReleaseStockHandler
