"""When an order that waits for an answer asks again, and how long it waits for its payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RedriveSchedule:
    """How long an order waits for an answer before it asks again, and how long at most for
    its payment.

    ``after`` follows the first request; the first repetition waits ``interval``, and each
    further one twice as long as the one before, up to ``max_interval``: a service that is
    down for long is asked less and less often, never less than once per ``max_interval``.
    ``payment_deadline`` counts from the first ``PaymentRequested``; it should be longer than
    the payment service's own bound on an unavailable provider (30 s), so that its answer
    normally comes first.
    """

    after: timedelta
    interval: timedelta
    max_interval: timedelta
    payment_deadline: timedelta = timedelta(seconds=60)

    def wait(self, publish_count: int) -> timedelta:
        """The quiet time after the ``publish_count``-th send of a request."""
        if publish_count <= 1:
            return self.after
        wait = min(self.interval, self.max_interval)
        for _ in range(publish_count - 2):  # stops at the cap: no huge powers of two
            if wait >= self.max_interval or wait <= timedelta(0):
                break
            wait = min(wait * 2, self.max_interval)
        return wait

    def steps(self) -> tuple[tuple[int, timedelta], ...]:
        """``(publish_count, wait)`` for each count whose wait differs from the previous
        count's, from 1 on; the last one holds for every higher count (for queries)."""
        steps = [(1, self.after), (2, self.wait(2))]
        while True:
            count = steps[-1][0] + 1
            wait = self.wait(count)
            if wait == steps[-1][1]:
                return tuple(steps)
            steps.append((count, wait))
