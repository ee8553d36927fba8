"""A circuit breaker per upstream (docs/adr/0034).

closed --N consecutive failures--> open --cool-down--> half-open --probe ok--> closed
                                     ^-------------------- probe failed ------'

While open, calls are refused at once (the gateway answers 503 without touching the
network). After the cool-down exactly one call is let through as a probe; the others keep
being refused until the probe's outcome is known, so a recovering service is not hit by the
whole backlog at once. A probe that ends with no outcome (the client went away) frees the
slot for the next one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import Enum


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    """Refused without trying; ``retry_after_seconds`` until the next probe may run."""

    def __init__(self, name: str, retry_after_seconds: int) -> None:
        super().__init__(f"circuit {name} is open")
        self.name = name
        self.retry_after_seconds = retry_after_seconds


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, State], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or reset_seconds < 0:
            raise ValueError("failure_threshold >= 1 and reset_seconds >= 0")
        self.name = name
        self._threshold = failure_threshold
        self._reset = reset_seconds
        self._clock = clock
        self._on_change = on_change
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> State:
        return self._state

    def acquire(self) -> bool:
        """Ask to make one call; ``True`` when the call is the half-open probe.

        Raises :class:`CircuitOpen` when the call must not be made. No await: atomic under
        asyncio.
        """
        if self._state is State.CLOSED:
            return False
        if self._state is State.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self._reset:
                raise CircuitOpen(self.name, max(1, math.ceil(self._reset - waited)))
            self._move(State.HALF_OPEN)
        if self._probe_out:
            raise CircuitOpen(self.name, max(1, math.ceil(self._reset)))
        self._probe_out = True
        return True

    def succeeded(self, probe: bool) -> None:
        if probe:
            self._probe_out = False
        self._failures = 0
        if self._state is not State.CLOSED:
            self._move(State.CLOSED)

    def failed(self, probe: bool) -> None:
        if probe:
            self._probe_out = False
        if self._state is State.HALF_OPEN:
            self._trip()
            return
        self._failures += 1
        if self._state is State.CLOSED and self._failures >= self._threshold:
            self._trip()

    def abandoned(self, probe: bool) -> None:
        """The call ended without an outcome (cancelled): count nothing, free the probe."""
        if probe:
            self._probe_out = False

    def _trip(self) -> None:
        self._opened_at = self._clock()
        self._failures = 0
        self._move(State.OPEN)

    def _move(self, state: State) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(self.name, state)
