"""Timing helper shared by the benchmark scripts (run as ``python bench/NAME.py``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], runs: int, *, warm: bool = True,
                clock: Callable[[], float] = time.perf_counter) -> float:
    """Return the median time of ``runs`` calls of ``fn``, in seconds.

    ``warm`` calls it once first, untimed (numba compilation, caches); ``clock`` is the
    clock read around each call (``time.process_time`` for CPU time of all threads,
    steadier than wall time when other jobs load the machine).
    """
    if warm:
        fn()
    times = []
    for _ in range(runs):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)
