"""Integration events: the published language the services share, and nothing else.

Each module holds one producer's events as versioned pydantic models. A consumer reads an
:class:`~commerce.contracts.envelope.EventEnvelope` off a topic and turns its ``data`` into the
typed event with :func:`~commerce.contracts.envelope.parse_payload`.
"""

from commerce.contracts.catalog import (
    PricedLine,
    ProductCreated,
    ProductUpdated,
    StockRejected,
    StockReleased,
    StockReserved,
)
from commerce.contracts.envelope import EventEnvelope, EventPayload, UnknownEvent, parse_payload
from commerce.contracts.ordering import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
)
from commerce.contracts.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentRefunded,
    PaymentVoided,
)
from commerce.contracts.topics import (
    ALL_TOPICS,
    CATALOG_EVENTS,
    ORDER_EVENTS,
    PAYMENT_EVENTS,
    USER_EVENTS,
    dlq_topic,
)
from commerce.contracts.users import UserRegistered, UserRoleGranted, UserRoleRevoked

__all__ = [
    "ALL_TOPICS",
    "CATALOG_EVENTS",
    "ORDER_EVENTS",
    "PAYMENT_EVENTS",
    "USER_EVENTS",
    "EventEnvelope",
    "EventPayload",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderDelivered",
    "OrderLine",
    "OrderPlaced",
    "OrderRejected",
    "OrderShipped",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentRefunded",
    "PaymentRequested",
    "PaymentVoided",
    "PricedLine",
    "ProductCreated",
    "ProductUpdated",
    "StockRejected",
    "StockReleased",
    "StockReserved",
    "UnknownEvent",
    "UserRegistered",
    "UserRoleGranted",
    "UserRoleRevoked",
    "dlq_topic",
    "parse_payload",
]
