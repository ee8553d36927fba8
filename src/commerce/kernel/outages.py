"""What counts as a dependency outage: the database, Redis or a peer's socket being down.

One definition for every place that must tell "try again shortly" from "this is wrong": the
HTTP layer answers these with 503 + Retry-After instead of 500, and the consumer runner keeps
retrying a message that met one instead of dead-lettering it. No web framework here.
"""

from __future__ import annotations

import sys

# By module and name, so that a process that never loads a database or Redis driver (the
# gateway) does not import SQLAlchemy (about 20 MB) only to name its errors: an error of a
# module that was never imported cannot have been raised.
_DRIVER_OUTAGES = {
    "sqlalchemy.exc": ("OperationalError", "InterfaceError", "TimeoutError"),
    "redis.exceptions": ("ConnectionError", "TimeoutError"),
}


def outage_types() -> tuple[type[BaseException], ...]:
    """Every exception class that means "a dependency is down", of the drivers loaded."""
    types: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module_name, names in _DRIVER_OUTAGES.items():
        module = sys.modules.get(module_name)
        if module is not None:
            types.extend(getattr(module, name) for name in names)
    return tuple(types)


def is_dependency_outage(error: BaseException) -> bool:
    """``error``, or an error it was explicitly raised from, is one of the outages."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, outage_types()):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
