"""Run a read-modify-write of a cart again when another writer got there first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from commerce.cart.application.ports import CartChangedMeanwhile

T = TypeVar("T")
ATTEMPTS = 5


async def retry_if_changed(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Each attempt loads the cart afresh; losing every one raises the conflict (a 409)."""
    for _ in range(attempts - 1):
        try:
            return await attempt()
        except CartChangedMeanwhile:
            continue
    return await attempt()
