"""The product service's public read of one product, for a product the view has not seen."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from commerce.cart.application.ports import CatalogUnavailable
from commerce.cart.domain.catalog import CatalogEntry

log = logging.getLogger("commerce.cart.product_client")


class HttpProductCatalog:
    """``GET /v1/products/{id}``: 200 is the product, 404 is none; anything else, or no
    answer, is :class:`CatalogUnavailable` (never a 404 the catalog did not say)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def product(self, product_id: str) -> CatalogEntry | None:
        try:
            response = await self._client.get(f"/v1/products/{quote(product_id, safe='')}")
        except httpx.HTTPError as error:
            log.warning("product service unreachable: %s", type(error).__name__)
            raise CatalogUnavailable() from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("product service answered %s to a product read", response.status_code)
            raise CatalogUnavailable()
        try:
            body = response.json()
            return CatalogEntry(
                product_id=product_id,
                name=str(body["name"]),
                price=int(body["price"]),
                stock=int(body["stock"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            log.error("product service sent an unreadable product: %s", type(error).__name__)
            raise CatalogUnavailable() from error
