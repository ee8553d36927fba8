"""How far behind the services that answer orders are, as this process sees their answers.

The re-drive asks again for an order whose request got no answer within the schedule's wait,
because the request (or its answer) may be lost. An answer that is only late is not lost: when
the catalog or the payment service works through a backlog (a burst of orders, a restart),
every waiting order passes the wait, and asking all of them again would add a second copy of
the whole backlog to it (docs/adr/0066). So the wait counts from the delay the latest answers
show: while answers arrive that took ``d`` to come, an order is due only once it has waited
``d`` longer. When no answer arrives for a whole window (nobody answers: the broker lost its
log, a service is down), the delay is zero again and the schedule applies as it is.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

_NONE = timedelta(0)


class AnswerDelay:
    """The largest answer delay seen within the last ``window``."""

    def __init__(self, window: timedelta) -> None:
        self._window = window
        # (answered at, delay), the delays strictly decreasing: the sliding window's maximum
        # is the first entry that has not expired (each entry is added and dropped once).
        self._candidates: deque[tuple[datetime, timedelta]] = deque()

    def observe(self, asked_at: datetime, answered_at: datetime) -> None:
        """An answer to a request sent at ``asked_at`` was applied at ``answered_at``."""
        delay = max(answered_at - asked_at, _NONE)
        candidates = self._candidates
        while candidates and candidates[-1][1] <= delay:
            candidates.pop()  # smaller, and older: never the maximum again
        candidates.append((answered_at, delay))
        self._forget_before(answered_at)

    def current(self, now: datetime) -> timedelta:
        """How much longer than the schedule says an order should wait before asking again."""
        self._forget_before(now)
        return self._candidates[0][1] if self._candidates else _NONE

    def _forget_before(self, now: datetime) -> None:
        # Bounded by the answers of one window, whoever asks how late they are (and when).
        candidates = self._candidates
        while candidates and now - candidates[0][0] > self._window:
            candidates.popleft()
