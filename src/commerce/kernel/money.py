"""Money as every service counts it: whole KRW (the won has no minor unit), never negative."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from commerce.kernel.domain import InvalidInput


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """A non-negative integer number of KRW; sums and multiples stay money."""

    amount: int

    def __post_init__(self) -> None:
        # bool is an int subclass; True is no amount.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidInput("An amount of money is a non-negative integer of KRW.")

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def times(self, quantity: int) -> Money:
        """The price of ``quantity`` units at this unit price."""
        return Money(self.amount * quantity)

    @staticmethod
    def sum(amounts: Iterable[Money]) -> Money:
        total = 0
        for money in amounts:
            total += money.amount
        return Money(total)
