"""The Payment aggregate: its state machine (every illegal transition included), its history,
and the provider steps it owes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from commerce.payment.domain import events
from commerce.payment.domain.payment import (
    TRANSITIONS,
    DeclineReason,
    IllegalPaymentTransition,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Step,
)
from tests.unit.payment.fakes import START

LATER = START + timedelta(seconds=1)
DEADLINE = START + timedelta(seconds=25)


def pending(*, withdrawn: bool = False) -> Payment:
    return Payment.request(
        payment_id="pay-1",
        order_id="order-1",
        user_id="user-1",
        amount=12_000,
        method=PaymentMethod.CARD,
        token="tok_visa",
        now=START,
        deadline=DEADLINE,
        withdrawn=withdrawn,
    )


def in_status(status: PaymentStatus) -> Payment:
    payment = pending()
    if status is PaymentStatus.DECLINED:
        payment.decline(DeclineReason.PAYMENT_DECLINED, START)
    if status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        payment.authorize("ref", START)
    if status is PaymentStatus.VOIDED:
        payment.authorize("ref", START)
        payment.void(START)
    if status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        payment.capture(START)
    if status is PaymentStatus.REFUNDED:
        payment.refund(START)
    assert payment.status is status
    payment.pull_events()
    return payment


MOVES: dict[PaymentStatus, Callable[[Payment], None]] = {
    PaymentStatus.AUTHORIZED: lambda p: p.authorize("ref", LATER),
    PaymentStatus.DECLINED: lambda p: p.decline(DeclineReason.PAYMENT_DECLINED, LATER),
    PaymentStatus.CAPTURED: lambda p: p.capture(LATER),
    PaymentStatus.VOIDED: lambda p: p.void(LATER),
    PaymentStatus.REFUNDED: lambda p: p.refund(LATER),
}
LEGAL = [(s, t) for s in PaymentStatus for t in MOVES if t in TRANSITIONS.get(s, ())]
ILLEGAL = [(s, t) for s in PaymentStatus for t in MOVES if t not in TRANSITIONS.get(s, ())]


def test_the_machine_is_the_contracts() -> None:
    assert sorted(LEGAL) == sorted(
        [
            (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED),
            (PaymentStatus.PENDING, PaymentStatus.DECLINED),
            (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED),
            (PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED),
            (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED),
        ]
    )
    assert len(ILLEGAL) == len(PaymentStatus) * len(MOVES) - 5


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_a_legal_move_changes_status_and_appends_history(
    current: PaymentStatus, target: PaymentStatus
) -> None:
    payment = in_status(current)
    before = len(payment.history)
    MOVES[target](payment)
    assert payment.status is target
    assert len(payment.history) == before + 1
    assert payment.history[-1].status is target
    assert payment.history[-1].amount == 12_000
    assert payment.history[-1].at == LATER
    (event,) = payment.pull_events()
    assert type(event).__name__ == f"Payment{target.value.capitalize()}"


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_move_is_refused_and_changes_nothing(
    current: PaymentStatus, target: PaymentStatus
) -> None:
    payment = in_status(current)
    history = list(payment.history)
    with pytest.raises(IllegalPaymentTransition) as refused:
        MOVES[target](payment)
    assert refused.value.code == "illegal-payment-transition"
    assert payment.status is current
    assert payment.history == history
    assert payment.pull_events() == []


def test_a_request_is_pending_and_owes_its_authorization_now() -> None:
    payment = pending()
    assert payment.status is PaymentStatus.PENDING
    assert payment.next_step is Step.AUTHORIZE and payment.next_attempt_at == START
    assert [(h.status, h.amount, h.at) for h in payment.history] == [
        (PaymentStatus.PENDING, 12_000, START)
    ]
    assert payment.pull_events() == []


def test_a_request_for_a_cancelled_order_is_declined_without_calling_the_provider() -> None:
    payment = pending(withdrawn=True)
    assert payment.status is PaymentStatus.DECLINED and payment.next_step is None
    (event,) = payment.pull_events()
    assert isinstance(event, events.PaymentDeclined) and event.reason == "PAYMENT_DECLINED"


def test_authorizing_forgets_the_token_and_owes_nothing() -> None:
    payment = pending()
    payment.begin_attempt(START, timedelta(seconds=10))
    payment.step_succeeded(Step.AUTHORIZE, "ref-9", LATER)
    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.token is None and payment.provider_reference == "ref-9"
    assert payment.next_step is None


def test_shipping_owes_the_capture_once() -> None:
    payment = in_status(PaymentStatus.AUTHORIZED)
    assert payment.ship(LATER) is True
    assert payment.next_step is Step.CAPTURE
    assert payment.ship(LATER) is False  # a repeated OrderShipped
    payment.step_succeeded(Step.CAPTURE, None, LATER)
    assert payment.status is PaymentStatus.CAPTURED
    assert payment.ship(LATER) is False


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING, PaymentStatus.DECLINED, PaymentStatus.VOIDED]
)
def test_shipping_without_an_authorization_is_refused(status: PaymentStatus) -> None:
    payment = in_status(status)
    with pytest.raises(IllegalPaymentTransition):
        payment.ship(LATER)


def test_withdrawing_an_authorized_payment_owes_the_void() -> None:
    payment = in_status(PaymentStatus.AUTHORIZED)
    assert payment.withdraw(LATER) is True
    assert payment.next_step is Step.VOID
    assert payment.withdraw(LATER) is False
    payment.step_succeeded(Step.VOID, None, LATER)
    assert payment.status is PaymentStatus.VOIDED and payment.next_step is None


def test_withdrawing_a_captured_payment_owes_the_refund() -> None:
    payment = in_status(PaymentStatus.CAPTURED)
    payment.withdraw(LATER)
    assert payment.next_step is Step.REFUND
    payment.step_succeeded(Step.REFUND, None, LATER)
    assert payment.status is PaymentStatus.REFUNDED


def test_withdrawing_before_the_provider_was_asked_declines() -> None:
    payment = pending()
    payment.withdraw(LATER)
    assert payment.status is PaymentStatus.DECLINED and payment.next_step is None


def test_withdrawing_during_the_authorization_voids_right_after_it() -> None:
    payment = pending()
    payment.begin_attempt(START, timedelta(seconds=10))
    payment.withdraw(LATER)
    assert payment.status is PaymentStatus.PENDING and payment.next_step is Step.AUTHORIZE
    payment.step_succeeded(Step.AUTHORIZE, "ref", LATER)
    assert payment.status is PaymentStatus.AUTHORIZED and payment.next_step is Step.VOID
    assert [type(e).__name__ for e in payment.pull_events()] == ["PaymentAuthorized"]


@pytest.mark.parametrize("status", [PaymentStatus.DECLINED, PaymentStatus.VOIDED])
def test_withdrawing_what_holds_nothing_owes_nothing(status: PaymentStatus) -> None:
    payment = in_status(status)
    payment.withdraw(LATER)
    assert payment.status is status and payment.next_step is None


def test_a_failed_call_is_retried_then_declined_unavailable_at_the_deadline() -> None:
    payment = pending()
    payment.begin_attempt(START, timedelta(seconds=10))
    payment.step_failed(Step.AUTHORIZE, LATER, timedelta(seconds=2))
    assert payment.status is PaymentStatus.PENDING
    assert payment.next_attempt_at == LATER + timedelta(seconds=2)
    near_end = DEADLINE - timedelta(seconds=1)
    payment.step_failed(Step.AUTHORIZE, near_end, timedelta(seconds=5))
    assert payment.next_attempt_at == DEADLINE  # never retried past the deadline
    payment.step_failed(Step.AUTHORIZE, DEADLINE, timedelta(seconds=5))
    assert payment.status is PaymentStatus.DECLINED
    assert payment.reason is DeclineReason.PAYMENT_UNAVAILABLE


def test_a_refused_authorization_is_declined() -> None:
    payment = pending()
    payment.step_refused(Step.AUTHORIZE, LATER)
    assert payment.status is PaymentStatus.DECLINED
    assert payment.reason is DeclineReason.PAYMENT_DECLINED


def test_a_refused_capture_drops_the_step_and_keeps_the_status() -> None:
    payment = in_status(PaymentStatus.AUTHORIZED)
    payment.ship(LATER)
    payment.step_refused(Step.CAPTURE, LATER)
    assert payment.status is PaymentStatus.AUTHORIZED and payment.next_step is None


def test_completing_a_step_that_is_not_owed_is_refused() -> None:
    payment = in_status(PaymentStatus.AUTHORIZED)
    for step in Step:
        with pytest.raises(IllegalPaymentTransition):
            payment.step_succeeded(step, None, LATER)
    with pytest.raises(IllegalPaymentTransition):
        payment.begin_attempt(LATER, timedelta(seconds=1))


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (PaymentStatus.AUTHORIZED, "PaymentAuthorized"),
        (PaymentStatus.DECLINED, "PaymentDeclined"),
        (PaymentStatus.CAPTURED, "PaymentCaptured"),
        (PaymentStatus.VOIDED, "PaymentVoided"),
        (PaymentStatus.REFUNDED, "PaymentRefunded"),
    ],
)
def test_a_repeated_request_raises_the_current_outcome_again(
    status: PaymentStatus, event: str
) -> None:
    payment = in_status(status)
    history = list(payment.history)
    assert payment.repeat_outcome(LATER) is True
    assert [type(e).__name__ for e in payment.pull_events()] == [event]
    assert payment.history == history and payment.status is status


def test_a_repeated_request_while_pending_raises_nothing() -> None:
    payment = pending()
    assert payment.repeat_outcome(LATER) is False
    assert payment.pull_events() == []


def test_an_invoice_is_settled_by_the_shop_without_owing_a_provider_step() -> None:
    now = START
    invoice = Payment.request(
        payment_id="pay-i",
        order_id="order-i",
        user_id="user-i",
        amount=5_000,
        method=PaymentMethod.INVOICE,
        token=None,
        now=now,
        deadline=now,
    )
    assert invoice.status is PaymentStatus.AUTHORIZED and invoice.next_step is None
    assert invoice.ship(now) and invoice.status is PaymentStatus.CAPTURED
    assert invoice.next_step is None
    assert invoice.withdraw(now) and invoice.status is PaymentStatus.REFUNDED
    assert [entry.status for entry in invoice.history] == [
        PaymentStatus.PENDING,
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.REFUNDED,
    ]
