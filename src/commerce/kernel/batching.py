"""Whether the current code runs inside a transaction shared by a batch of use cases.

A consumer applies a poll's messages (all its partitions') in one database transaction
(``commerce.kernel.db.shared_transaction``, docs/adr/0043). Inside it, a use case must not
retry in place (its failed attempt's writes would stay in the shared transaction): it lets
the error out, the batch is undone and each message is applied in a transaction of its own,
where the usual retries apply. This module only holds the flag, so that use cases can ask
without importing the database layer, and the keys of the batch's messages, which
repositories that load by key may read in one go (docs/adr/0047).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_active: ContextVar[bool] = ContextVar("commerce_shared_transaction", default=False)
_keys: ContextVar[frozenset[str]] = ContextVar("commerce_batch_keys", default=frozenset())


def in_shared_transaction() -> bool:
    """True while a batch's shared transaction is open in this task."""
    return _active.get()


def mark_shared(active: bool) -> object:
    """Set the flag; returns the token that :func:`unmark_shared` takes to undo it."""
    return _active.set(active)


def unmark_shared(token: object) -> None:
    _active.reset(token)  # type: ignore[arg-type]


def batch_keys() -> frozenset[str]:
    """The keys of the messages of the batch being applied in this task (empty outside one)."""
    return _keys.get()


@contextmanager
def batch_of_keys(keys: Iterable[str]) -> Iterator[None]:
    """While the block runs, :func:`batch_keys` answers ``keys``."""
    token = _keys.set(frozenset(keys))
    try:
        yield
    finally:
        _keys.reset(token)
