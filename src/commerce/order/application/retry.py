"""Run a use case again when its optimistic write lost a race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from commerce.kernel.batching import in_shared_transaction
from commerce.order.application.errors import OrderChangedMeanwhile
from commerce.order.application.ports import StaleOrder

T = TypeVar("T")
ATTEMPTS = 5


async def retry_if_stale(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Each attempt is a fresh transaction, so it sees the winner's committed change.

    Losing every attempt raises :class:`OrderChangedMeanwhile`, a kernel ``Conflict``: a 409
    over HTTP, and for a consumer an error it retries like any other. Inside a batch's shared
    transaction there is no fresh transaction to retry in: one attempt, and a lost race
    undoes the batch (its messages are then applied one by one, with these retries).
    """
    if in_shared_transaction():
        return await attempt()
    for _ in range(attempts - 1):
        try:
            return await attempt()
        except StaleOrder:
            continue
    try:
        return await attempt()
    except StaleOrder as error:
        raise OrderChangedMeanwhile() from error
