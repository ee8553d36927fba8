"""The Payment aggregate: one per order, its state machine and the provider step it still owes.

``status`` moves only along :data:`TRANSITIONS`; every move appends to ``history``. What the
order asked for (authorize, capture, void, refund) becomes ``next_step``: a provider call a
worker makes later, so that a slow provider never holds up the consumer. A payment whose order
was cancelled or rejected is ``withdrawn``: whatever it holds is let go as soon as it can be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from commerce.kernel.domain import AggregateRoot, Conflict, DomainEvent
from commerce.kernel.money import Money
from commerce.payment.domain import events


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    REFUNDED = "REFUNDED"
    DECLINED = "DECLINED"


class PaymentMethod(StrEnum):
    CARD = "card"
    INVOICE = "invoice"


class DeclineReason(StrEnum):
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"


class Step(StrEnum):
    """The provider operation a payment still owes."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.DECLINED}),
    PaymentStatus.AUTHORIZED: frozenset({PaymentStatus.CAPTURED, PaymentStatus.VOIDED}),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
}


class IllegalPaymentTransition(Conflict):
    code = "illegal-payment-transition"

    def __init__(self, payment_id: str, current: PaymentStatus, wanted: str) -> None:
        super().__init__(f"payment {payment_id} is {current}: cannot {wanted}")
        self.current = current


# The provider reference of an invoice: the shop keeps the claim itself.
INVOICE_REFERENCE = "invoice"


@dataclass(frozen=True)
class HistoryEntry:
    status: PaymentStatus
    amount: int
    at: datetime


@dataclass(kw_only=True)
class Payment(AggregateRoot):
    id: str
    order_id: str
    user_id: str
    amount: int
    method: PaymentMethod
    # The provider's token for the card; kept only until the authorization is decided.
    token: str | None
    status: PaymentStatus
    reason: DeclineReason | None = None
    provider_reference: str | None = None
    withdrawn: bool = False
    next_step: Step | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    # The authorization is declined PAYMENT_UNAVAILABLE if the provider has not answered by then.
    deadline: datetime | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    version: int = 0
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        AggregateRoot.__init__(self)

    @classmethod
    def request(
        cls,
        *,
        payment_id: str,
        order_id: str,
        user_id: str,
        amount: int,
        method: PaymentMethod,
        token: str | None,
        now: datetime,
        deadline: datetime,
        withdrawn: bool = False,
    ) -> Payment:
        """A PENDING payment owing its authorization; declined at once (nothing ever sent to the
        provider) if the order was cancelled before it asked."""
        payment = cls(
            id=payment_id,
            order_id=order_id,
            user_id=user_id,
            amount=Money(amount).amount,
            method=method,
            token=token,
            status=PaymentStatus.PENDING,
            next_step=Step.AUTHORIZE,
            next_attempt_at=now,
            deadline=deadline,
            history=[HistoryEntry(PaymentStatus.PENDING, amount, now)],
            created_at=now,
            updated_at=now,
        )
        if withdrawn:
            payment.withdrawn = True
            payment.decline(DeclineReason.PAYMENT_DECLINED, now)
        elif method is PaymentMethod.INVOICE:
            payment._settle_invoice(now)
        return payment

    # -- the state machine: one method per transition ---------------------------------------

    def stored(self) -> None:
        """The repository wrote this version: the next save expects the one after it."""
        self.version += 1

    def authorize(self, reference: str, now: datetime) -> None:
        self._move(PaymentStatus.AUTHORIZED, now)
        self.provider_reference = reference
        self.token = None
        self.record(self._event(events.PaymentAuthorized, now, amount=self.amount))
        self._follow_up(now)

    def decline(self, reason: DeclineReason, now: datetime) -> None:
        self._move(PaymentStatus.DECLINED, now)
        self.reason = reason
        self.token = None
        self.record(self._event(events.PaymentDeclined, now, reason=reason.value))
        self._follow_up(now)

    def capture(self, now: datetime) -> None:
        self._move(PaymentStatus.CAPTURED, now)
        self.record(self._event(events.PaymentCaptured, now, amount=self.amount))
        self._follow_up(now)

    def void(self, now: datetime) -> None:
        self._move(PaymentStatus.VOIDED, now)
        self.record(self._event(events.PaymentVoided, now))
        self._follow_up(now)

    def refund(self, now: datetime) -> None:
        self._move(PaymentStatus.REFUNDED, now)
        self.record(self._event(events.PaymentRefunded, now, amount=self.amount))
        self._follow_up(now)

    # -- what the order asks for -------------------------------------------------------------

    def ship(self, now: datetime) -> bool:
        """Owe the capture; ``False`` if it is already owed or done (a repeated request)."""
        if self.status is PaymentStatus.CAPTURED or self.next_step is Step.CAPTURE:
            return False
        if self.status is not PaymentStatus.AUTHORIZED or self.withdrawn:
            raise IllegalPaymentTransition(self.id, self.status, "capture")
        self._owe(Step.CAPTURE, now)
        return True

    def withdraw(self, now: datetime) -> bool:
        """The order was cancelled or rejected: let go of whatever is held. ``False`` if that
        changed nothing (already withdrawn, or nothing held)."""
        if self.withdrawn:
            return False
        self.withdrawn = True
        if self.status is PaymentStatus.PENDING and self.attempts == 0:
            # The provider was never asked (attempts are claimed with a version check).
            self.decline(DeclineReason.PAYMENT_DECLINED, now)
        elif self.next_step is None:
            self._follow_up(now)
        # else: the step under way finishes first; its completion follows up with the release.
        self.updated_at = now
        return True

    def repeat_outcome(self, now: datetime) -> bool:
        """The order asked again (its re-drive): raise the event of the current state again;
        ``False`` while there is none yet (still PENDING)."""
        match self.status:
            case PaymentStatus.AUTHORIZED:
                self.record(self._event(events.PaymentAuthorized, now, amount=self.amount))
            case PaymentStatus.DECLINED:
                reason = (self.reason or DeclineReason.PAYMENT_DECLINED).value
                self.record(self._event(events.PaymentDeclined, now, reason=reason))
            case PaymentStatus.CAPTURED:
                self.record(self._event(events.PaymentCaptured, now, amount=self.amount))
            case PaymentStatus.VOIDED:
                self.record(self._event(events.PaymentVoided, now))
            case PaymentStatus.REFUNDED:
                self.record(self._event(events.PaymentRefunded, now, amount=self.amount))
            case PaymentStatus.PENDING:
                return False
        return True

    # -- the worker's side of a step ---------------------------------------------------------

    def begin_attempt(self, now: datetime, lease: timedelta) -> Step:
        """Claim the owed step for one provider call; it is due again after ``lease`` (a worker
        that died mid-call is thus replaced)."""
        if self.next_step is None:
            raise IllegalPaymentTransition(self.id, self.status, "call the provider")
        self.attempts += 1
        self.next_attempt_at = now + lease
        self.updated_at = now
        return self.next_step

    def step_succeeded(self, step: Step, reference: str | None, now: datetime) -> None:
        self._check_owed(step)
        match step:
            case Step.AUTHORIZE:
                self.authorize(reference or "", now)
            case Step.CAPTURE:
                self.capture(now)
            case Step.VOID:
                self.void(now)
            case Step.REFUND:
                self.refund(now)

    def step_refused(self, step: Step, now: datetime) -> None:
        """The provider said no for good. Only an authorization may be refused: for the other
        steps the owed operation is dropped (the adapter logs why) and the status stays."""
        self._check_owed(step)
        if step is Step.AUTHORIZE:
            self.decline(DeclineReason.PAYMENT_DECLINED, now)
        else:
            self.next_step, self.next_attempt_at, self.attempts = None, None, 0
            self.updated_at = now

    def step_failed(self, step: Step, now: datetime, wait: timedelta) -> None:
        """No answer (time-out, outage): try again after ``wait``; an authorization past its
        deadline is declined PAYMENT_UNAVAILABLE instead."""
        self._check_owed(step)
        retry_at = now + wait
        if step is Step.AUTHORIZE and self.deadline is not None:
            if now >= self.deadline:
                self.decline(DeclineReason.PAYMENT_UNAVAILABLE, now)
                return
            retry_at = min(retry_at, self.deadline)
        self.next_attempt_at = retry_at
        self.updated_at = now

    # -- helpers -----------------------------------------------------------------------------

    def _check_owed(self, step: Step) -> None:
        if self.next_step is not step:
            raise IllegalPaymentTransition(self.id, self.status, f"complete {step}")

    def _move(self, to: PaymentStatus, now: datetime) -> None:
        if to not in TRANSITIONS.get(self.status, frozenset()):
            raise IllegalPaymentTransition(self.id, self.status, f"become {to}")
        self.status = to
        self.updated_at = now
        self.history.append(HistoryEntry(to, self.amount, now))

    def _follow_up(self, now: datetime) -> None:
        """After a move: owe the release a withdrawn payment still needs, else nothing."""
        if self.withdrawn and self.status is PaymentStatus.AUTHORIZED:
            self._owe(Step.VOID, now)
        elif self.withdrawn and self.status is PaymentStatus.CAPTURED:
            self._owe(Step.REFUND, now)
        else:
            self.next_step, self.next_attempt_at, self.attempts = None, None, 0

    def _owe(self, step: Step, now: datetime) -> None:
        self.next_step, self.next_attempt_at, self.attempts = step, now, 0
        self.updated_at = now
        if self.method is PaymentMethod.INVOICE:
            self._settle_invoice(now)

    def _settle_invoice(self, now: datetime) -> None:
        """An invoice (pay later) is the shop's own claim on the customer: no card provider is
        involved, so each owed step completes at once, in the same transaction (ADR 0112)."""
        if self.next_step is not None:
            self.step_succeeded(self.next_step, INVOICE_REFERENCE, now)

    def _event(self, kind: type[events.PaymentEvent], now: datetime, **values: Any) -> DomainEvent:
        return kind(payment_id=self.id, order_id=self.order_id, occurred_at=now, **values)
