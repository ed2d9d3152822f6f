"""Repeat, time, summarise: median and spread, in milliseconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    lower_bound: bool = False  # the run was cut off: the true time is at least this

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def measure(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[Timing, Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p10 = samples[max(0, int(0.1 * (len(samples) - 1)))]
    p90 = samples[int(0.9 * (len(samples) - 1))]
    return Timing(statistics.median(samples), p10, p90, len(samples)), result


def once(fn: Callable[[], Any], budget_s: float) -> Timing:
    """One timed run of a slow baseline; reported as a lower bound when over budget, or
    when ``fn`` returns None (it stopped short, e.g. its input would not fit in memory)."""
    start = time.perf_counter()
    result = fn()
    elapsed = (time.perf_counter() - start) * 1000
    cut = elapsed > budget_s * 1000 or result is None
    return Timing(elapsed, elapsed, elapsed, 1, lower_bound=cut)
