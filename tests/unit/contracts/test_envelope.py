"""The published language: envelopes round-trip, and garbage is refused, never guessed at."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from commerce.contracts import (
    ALL_TOPICS,
    CATALOG_EVENTS,
    ORDER_EVENTS,
    PAYMENT_EVENTS,
    USER_EVENTS,
    EventEnvelope,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentRefunded,
    PaymentRequested,
    PaymentVoided,
    PricedLine,
    ProductCreated,
    ProductUpdated,
    StockRejected,
    StockReleased,
    StockReserved,
    UnknownEvent,
    UserRegistered,
    UserRoleGranted,
    UserRoleRevoked,
    dlq_topic,
    parse_payload,
)
from commerce.contracts.envelope import EventPayload, event_types

EXAMPLES: list[EventPayload] = [
    OrderPlaced(order_id="o1", user_id="u1", items=[OrderLine(product_id="p1", quantity=2)]),
    OrderConfirmed(order_id="o1", total=2000),
    OrderRejected(order_id="o1", reason="OUT_OF_STOCK"),
    OrderCancelled(order_id="o1"),
    PaymentRequested(order_id="o1", user_id="u1", amount=2000, method="card", token="tok_visa"),
    OrderShipped(order_id="o1", carrier="CJ", tracking_number="1234"),
    OrderDelivered(order_id="o1"),
    PaymentAuthorized(order_id="o1", payment_id="pay1", amount=2000),
    PaymentDeclined(order_id="o1", payment_id="pay1", reason="PAYMENT_DECLINED"),
    PaymentCaptured(order_id="o1", payment_id="pay1", amount=2000),
    PaymentVoided(order_id="o1", payment_id="pay1"),
    PaymentRefunded(order_id="o1", payment_id="pay1", amount=2000),
    StockReserved(order_id="o1", items=[PricedLine(product_id="p1", quantity=2, unit_price=1000)]),
    StockRejected(order_id="o1", reason="PRODUCT_NOT_FOUND", product_ids=["p9"]),
    StockReleased(order_id="o1"),
    ProductCreated(product_id="p1", seller_id="u2", name="Tea", price=1000, stock=5),
    ProductUpdated(product_id="p1", name="Tea", price=1200, stock=4),
    UserRegistered(user_id="u1", email="a@example.com"),
    UserRoleGranted(user_id="u1", role="STAFF"),
    UserRoleRevoked(user_id="u1", role="STAFF"),
]


def test_every_event_type_has_an_example() -> None:
    assert {type(e).event_type for e in EXAMPLES} == set(event_types())


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda e: type(e).event_type)
def test_round_trip_through_json_gives_the_same_typed_event(payload: EventPayload) -> None:
    envelope = EventEnvelope.wrap(payload, source="test")
    decoded = EventEnvelope.from_json(envelope.to_json())
    assert decoded == envelope
    assert decoded.type == type(payload).event_type
    assert parse_payload(decoded) == payload


def test_the_wire_format_has_exactly_the_contract_keys() -> None:
    envelope = EventEnvelope.wrap(OrderCancelled(order_id="o1"), source="order")
    document = json.loads(envelope.to_json())
    assert set(document) == {"id", "type", "occurred_at", "source", "data"}
    assert document["type"] == "OrderCancelled"
    assert document["data"] == {"order_id": "o1"}
    assert document["occurred_at"].endswith("Z")


def test_each_wrap_gets_a_new_id_unless_one_is_given() -> None:
    payload = OrderCancelled(order_id="o1")
    first, second = EventEnvelope.wrap(payload, "order"), EventEnvelope.wrap(payload, "order")
    assert first.id != second.id
    assert EventEnvelope.wrap(payload, "order", event_id="fixed").id == "fixed"


def test_occurred_at_is_normalised_to_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    envelope = EventEnvelope.wrap(
        OrderCancelled(order_id="o1"), "order", occurred_at=datetime(2026, 1, 1, 9, tzinfo=seoul)
    )
    assert envelope.occurred_at == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert envelope.occurred_at.utcoffset() == timedelta(0)


def test_partition_keys_keep_an_orders_events_together() -> None:
    keys = {e.partition_key for e in EXAMPLES if hasattr(e, "order_id")}
    assert keys == {"o1"}
    assert ProductUpdated(product_id="p1", name="x", price=1, stock=0).partition_key == "p1"
    assert UserRegistered(user_id="u1", email="a@example.com").partition_key == "u1"


def test_unknown_type_is_refused_with_its_name() -> None:
    envelope = EventEnvelope(
        id="1", type="OrderTeleported", occurred_at=datetime.now(UTC), source="x", data={}
    )
    with pytest.raises(UnknownEvent) as caught:
        parse_payload(envelope)
    assert caught.value.event_type == "OrderTeleported"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"id":"1","type":"OrderCancelled","source":"order","data":{}}',
        b'{"id":"1","type":"OrderCancelled","occurred_at":"yesterday","source":"o","data":{}}',
        b'{"id":"1","type":"OrderCancelled","occurred_at":"2026-01-01T00:00:00","source":"o","data":{}}',
        b'{"id":"1","type":"OrderCancelled","occurred_at":"2026-01-01T00:00:00Z","source":"o","data":[]}',
        b'{"id":"1","type":"X","occurred_at":"2026-01-01T00:00:00Z","source":"o","data":{},"extra":1}',
    ],
)
def test_garbage_is_a_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        EventEnvelope.from_json(raw)


def test_data_that_does_not_fit_the_type_is_a_validation_error() -> None:
    envelope = EventEnvelope.wrap(OrderCancelled(order_id="o1"), "order")
    wrong = envelope.model_copy(update={"type": "OrderPlaced"})
    with pytest.raises(ValidationError):
        parse_payload(wrong)
    negative = envelope.model_copy(
        update={
            "type": "OrderPlaced",
            "data": {
                "order_id": "o",
                "user_id": "u",
                "items": [{"product_id": "p", "quantity": 0}],
            },
        }
    )
    with pytest.raises(ValidationError):
        parse_payload(negative)


def test_readers_ignore_fields_added_by_a_newer_producer() -> None:
    envelope = EventEnvelope.wrap(OrderCancelled(order_id="o1"), "order")
    newer = envelope.model_copy(update={"data": {"order_id": "o1", "cancelled_by": "u1"}})
    assert parse_payload(newer) == OrderCancelled(order_id="o1")


def test_envelopes_are_immutable() -> None:
    envelope = EventEnvelope.wrap(OrderCancelled(order_id="o1"), "order")
    with pytest.raises(ValidationError):
        envelope.type = "OrderPlaced"  # type: ignore[misc]


def test_topics_and_their_dead_letter_topics() -> None:
    assert ALL_TOPICS == (ORDER_EVENTS, CATALOG_EVENTS, USER_EVENTS, PAYMENT_EVENTS)
    assert dlq_topic(ORDER_EVENTS) == "commerce.order.events.dlq"


def test_registering_a_type_twice_is_a_programming_error() -> None:
    with pytest.raises(TypeError):

        class Again(EventPayload):
            event_type = "OrderPlaced"
