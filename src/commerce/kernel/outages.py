"""What counts as a dependency outage: the database, Redis or a peer's socket being down.

One definition for every place that must tell "try again shortly" from "this is wrong": the
HTTP layer answers these with 503 + Retry-After instead of 500, and the consumer runner keeps
retrying a message that met one instead of dead-lettering it. No web framework here.
"""

from __future__ import annotations

import redis.exceptions
import sqlalchemy.exc

DEPENDENCY_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_dependency_outage(error: BaseException) -> bool:
    """``error``, or an error it was explicitly raised from, is one of the outages."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DEPENDENCY_OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
