"""The one backoff formula of the platform: doubling from ``base``, capped, with optional
jitter. Every retry loop in the kernel and the services waits by it (the gateway's retries
use tenacity's exponential wait, the same formula)."""

from __future__ import annotations

import random


def backoff_seconds(failures: int, *, base: float, cap: float, jitter: float = 0.0) -> float:
    """The wait after the ``failures``-th failure in a row (1, 2, ...): ``base``,
    ``2 x base``, ... up to ``cap``, plus up to ``jitter`` seconds at random (so that
    retrying callers do not collide again in lockstep)."""
    wait = min(cap, base * 2 ** max(0, failures - 1))
    if jitter > 0:
        wait += random.uniform(0, jitter)  # noqa: S311 - spreading retries, not a secret
    return float(wait)
