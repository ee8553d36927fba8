"""The order line's value objects: a quantity is 1..1000; subtotals and totals are money."""

from __future__ import annotations

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.order.domain.lines import OrderLine, Quantity, total_of


@pytest.mark.parametrize("value", [1, 1000])
def test_a_quantity_is_1_to_1000(value: int) -> None:
    assert Quantity(value).value == value


@pytest.mark.parametrize("value", [0, -1, 1001])
def test_a_quantity_outside_1_to_1000_is_refused(value: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        Quantity(value)
    assert refused.value.code == "invalid_order_lines"


def test_the_total_sums_the_subtotals_once_every_line_is_priced() -> None:
    lines = [OrderLine("a", 2, 1_500), OrderLine("b", 1, 0)]
    assert [line.subtotal for line in lines] == [3_000, 0]
    assert total_of(lines) == 3_000
    assert total_of([*lines, OrderLine("c", 1)]) is None
