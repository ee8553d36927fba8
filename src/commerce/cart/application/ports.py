"""What the cart's use cases need from the outside, as ports (plain typing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from commerce.cart.domain.cart import Cart, Checkout, OrderedLine
from commerce.cart.domain.catalog import CatalogEntry
from commerce.kernel.domain import Conflict, DependencyUnavailable
from commerce.kernel.ports import InboxUnitOfWork


class CartChangedMeanwhile(Conflict):
    """Another request changed the cart between our read and our write: try again."""

    code = "cart_changed_meanwhile"

    def __init__(self) -> None:
        super().__init__("The cart changed meanwhile; repeat the request.")


class CartStore(Protocol):
    """Carts and their checkouts (Redis when configured, else SQL; docs/adr/0120)."""

    async def load(self, user_id: str) -> Cart:
        """The user's cart; a new empty one (revision 0) when there is none."""

    async def save(self, cart: Cart) -> None:
        """Store ``cart`` if nobody stored another revision since it was loaded, else raise
        :class:`CartChangedMeanwhile`."""

    async def delete(self, user_id: str) -> None:
        """Forget the user's cart (its next one has a new id)."""

    async def record_checkout(self, checkout: Checkout) -> None:
        """Remember what ``checkout.order_id`` ordered from the cart (the same twice: no-op)."""

    async def open_checkout(self, order_id: str) -> Checkout | None:
        """The checkout of ``order_id`` while it is not settled; ``None`` otherwise."""

    async def note_confirmed(self, order_id: str) -> None:
        """Remember for a while that the order was confirmed, for a checkout recorded only
        after its confirmation went by."""

    async def was_confirmed(self, order_id: str) -> bool:
        """Whether :meth:`note_confirmed` was told about the order (and still remembers)."""

    async def settle(self, checkout: Checkout, cart: Cart) -> bool:
        """Mark the checkout settled and store ``cart`` in one atomic step. ``False`` when it
        was settled already (nothing stored); :class:`CartChangedMeanwhile` when the cart
        changed since it was loaded."""


class CatalogView(Protocol):
    """The read side of the local catalog view."""

    async def entries(self, product_ids: Iterable[str]) -> dict[str, CatalogEntry]:
        """The entries of those of ``product_ids`` the view has seen."""

    async def seed(self, entry: CatalogEntry) -> None:
        """Add ``entry`` unless the view has the product already (its events win)."""


class CatalogViewWriter(Protocol):
    """The view's changes from catalog events, inside a unit of work."""

    async def put(self, entry: CatalogEntry) -> None:
        """Set the product's absolute name, price and stock."""

    async def reserve(self, order_id: str, units: Mapping[str, int]) -> None:
        """Lower the stock of the products the view knows and remember them for the order."""

    async def release(self, order_id: str) -> None:
        """Give back what :meth:`reserve` took for the order, once."""


class CatalogViewUnitOfWork(InboxUnitOfWork, Protocol):
    @property
    def view(self) -> CatalogViewWriter: ...


class ProductCatalog(Protocol):
    """The product service, asked only about a product the view has not seen."""

    async def product(self, product_id: str) -> CatalogEntry | None:
        """The product as the catalog has it now; ``None`` when it has no such product.
        Raises :class:`CatalogUnavailable` when it cannot be asked."""


class CatalogUnavailable(DependencyUnavailable):
    code = "catalog_unavailable"

    def __init__(self) -> None:
        super().__init__("The catalog cannot be reached to look the product up; try again.")


@dataclass(frozen=True)
class OrderRequest:
    """One POST /v1/orders on the caller's behalf: ``proof`` is the gateway's proof of the
    caller's identity, forwarded as it came."""

    lines: tuple[OrderedLine, ...]
    payment: Mapping[str, Any] | None
    idempotency_key: str
    proof: str


@dataclass(frozen=True)
class PlacedOrder:
    """The order service's answer: ``status_code`` 202 (placed) or 200 (a replay)."""

    status_code: int
    body: Mapping[str, Any]
    location: str | None

    @property
    def order_id(self) -> str:
        return str(self.body["id"])

    @property
    def status(self) -> str:
        return str(self.body.get("status", ""))


class OrderRefused(Exception):
    """The order service said no (400, 409, 422): passed to the client as it was."""

    def __init__(self, status_code: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"order service answered {status_code}")
        self.status_code = status_code
        self.problem = problem


class OrderServiceFailed(Exception):
    """The order service answered something it should not have (a 5xx, an unreadable body,
    a refused proof): a 502 for the client."""


class OrderServiceUnavailable(DependencyUnavailable):
    code = "order_service_unavailable"

    def __init__(self) -> None:
        super().__init__("The order service cannot be reached; try again shortly.")


class OrderPlacer(Protocol):
    async def place(self, request: OrderRequest) -> PlacedOrder:
        """Place the order, or raise :class:`OrderRefused`, :class:`OrderServiceFailed` or
        :class:`OrderServiceUnavailable`."""
