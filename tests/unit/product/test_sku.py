"""The SKU value object: 1..64 characters once surrounding blanks are dropped."""

from __future__ import annotations

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.product.domain.sku import Sku


def test_surrounding_blanks_are_dropped() -> None:
    assert Sku.parse("  TEA-1 ") == Sku("TEA-1")


@pytest.mark.parametrize("raw", ["", "   ", "x" * 65])
def test_empty_or_too_long_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Sku.parse(raw)
    assert refused.value.code == "invalid_sku"


def test_an_unparsed_value_with_blanks_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Sku(" TEA ")
