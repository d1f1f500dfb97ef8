"""The one way the benchmarks time work: items per second, best of a few runs."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(work: Callable[[], int], seconds: float, runs: int) -> float:
    """Items per second of `work` (which returns how many items it did), best of `runs`
    runs sharing `seconds`: the best run is the one least disturbed by the machine."""
    best = 0.0
    for _ in range(runs):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / runs:
            done += work()
        best = max(best, done / elapsed)
    return best
