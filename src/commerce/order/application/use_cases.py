"""Everything the inbound adapters may call, wired once by the bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.fulfilment import FulfilmentHandler
from commerce.order.application.live_status import LiveOrderStatus
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.queries import OrderReader
from commerce.order.application.redrive import RedrivePendingOrders


@dataclass(frozen=True)
class OrderUseCases:
    place: PlaceOrderHandler
    cancel: CancelOrderHandler
    read: OrderReader
    catalog_replies: CatalogReplyHandler
    payment_replies: PaymentReplyHandler
    fulfilment: FulfilmentHandler
    redrive: RedrivePendingOrders
    live: LiveOrderStatus
