"""How an order is paid: the customer's choice and what the payment service answered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from commerce.kernel.domain import InvalidInput

# A provider's card token as the contract allows it; card numbers never enter the platform.
TOKEN_PATTERN = r"^tok_[a-z0-9_]{1,40}$"  # noqa: S105 (a shape, not a secret)
_TOKEN = re.compile(TOKEN_PATTERN)


class PaymentMethod(StrEnum):
    CARD = "card"
    INVOICE = "invoice"  # pay later: the payment service always authorizes it


class PaymentStatus(StrEnum):
    PENDING = "PENDING"  # until the payment service answers
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    REFUNDED = "REFUNDED"


# The payment's own life cycle, as the payment service reports it. Steps may be skipped (an
# answer lost with the broker's log), never reversed: a late or repeated event that would
# move a payment backwards (AUTHORIZED after VOIDED) is ignored.
_LATER = {
    PaymentStatus.PENDING: frozenset(set(PaymentStatus) - {PaymentStatus.PENDING}),
    PaymentStatus.AUTHORIZED: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED}
    ),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.VOIDED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}


def follows(current: PaymentStatus, reported: PaymentStatus) -> bool:
    """Whether ``reported`` is a later state of a payment that is ``current`` now."""
    return reported in _LATER[current]


@dataclass(frozen=True)
class PaymentChoice:
    """The customer's method; ``token`` is the provider's card token, for ``card`` only."""

    method: PaymentMethod
    token: str | None = None

    def __post_init__(self) -> None:
        if self.method is PaymentMethod.CARD:
            if self.token is None or not _TOKEN.match(self.token):
                raise InvalidInput(
                    "A card payment needs a token: tok_ and 1 to 40 of a-z, 0-9, _.",
                    code="invalid_payment",
                    field="payment.token",
                )
        elif self.token is not None:
            raise InvalidInput(
                "Only a card payment takes a token.", code="invalid_payment", field="payment.token"
            )

    @classmethod
    def of(cls, method: str, token: str | None = None) -> PaymentChoice:
        try:
            chosen = PaymentMethod(method)
        except ValueError:
            raise InvalidInput(
                "The payment method is card or invoice.",
                code="invalid_payment",
                field="payment.method",
            ) from None
        return cls(chosen, token)


INVOICE = PaymentChoice(PaymentMethod.INVOICE)
