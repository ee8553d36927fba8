"""Money: whole, non-negative KRW; sums and multiples."""

from __future__ import annotations

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.kernel.money import Money


@pytest.mark.parametrize("amount", [-1, 1.5, True, "100"])
def test_only_a_non_negative_integer_is_money(amount: object) -> None:
    with pytest.raises(InvalidInput):
        Money(amount)  # type: ignore[arg-type]


def test_sums_and_multiples() -> None:
    assert Money(0) + Money(250) == Money(250)
    assert Money(1_200).times(3) == Money(3_600)
    assert Money.sum([Money(1), Money(2), Money(3)]) == Money(6)
    assert Money.sum([]) == Money(0)


def test_a_negative_multiple_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Money(100).times(-1)
