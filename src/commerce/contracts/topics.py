"""Kafka topic names. One topic per producing service; every event of one order shares a key."""

from __future__ import annotations

ORDER_EVENTS = "commerce.order.events"
CATALOG_EVENTS = "commerce.catalog.events"
USER_EVENTS = "commerce.user.events"
PAYMENT_EVENTS = "commerce.payment.events"

ALL_TOPICS: tuple[str, ...] = (ORDER_EVENTS, CATALOG_EVENTS, USER_EVENTS, PAYMENT_EVENTS)

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic where a consumer parks the messages of ``topic`` it cannot process."""
    return f"{topic}{DLQ_SUFFIX}"
