"""Repeat, time, summarise: median and spread, in milliseconds."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def peak_rss_mb() -> float:
    """This process's own high-water mark of resident memory, in MB.

    ``getrusage``'s ``ru_maxrss`` (and ``os.wait4``'s, read by a parent) is no use for a
    child: Linux counts in it the memory of the process it was started from, as it was
    at the exec, so a 200 MB loader started by a bench holding 11 GB reports 11 GB.
    ``VmHWM`` in /proc/self/status is the high-water mark of this program's own memory;
    where there is no /proc, ``ru_maxrss`` (kB on Linux) is the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    lower_bound: bool = False  # the run was cut off: the true time is at least this
    projected_ms: float | None = None  # a cut-off run's time scaled to all of its work

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
    return _summary(samples), result


def interleaved(
    fns: dict[str, Callable[[], Any]], repeats: int, warmup: int = 3
) -> dict[str, tuple[Timing, Any]]:
    """``measure`` for several calls at once, one run of each per round: a JVM warming up or
    a busy machine then slows all alike (a floor measured alone, first, came out twice too
    high on a Trino whose JIT was still cold)."""
    results: dict[str, Any] = {}
    for _ in range(warmup):
        for name, fn in fns.items():
            results[name] = fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(repeats):
        for name, fn in fns.items() if i % 2 == 0 else reversed(list(fns.items())):
            start = time.perf_counter()
            results[name] = fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: (_summary(samples[name]), results.get(name)) for name in fns}


def _summary(samples: list[float]) -> Timing:
    samples = sorted(samples)
    p10 = samples[max(0, int(0.1 * (len(samples) - 1)))]
    p90 = samples[int(0.9 * (len(samples) - 1))]
    return Timing(statistics.median(samples), p10, p90, len(samples))


@dataclass(frozen=True)
class Done:
    """How much of its work a baseline did: all of it, or a share (it stopped at the
    budget or at the memory it may use) after ``fixed_s`` of work that does not scale."""

    share: float = 1.0
    fixed_s: float = 0.0


def once(fn: Callable[[], Done], budget_s: float) -> Timing:
    """One timed run of a slow baseline; one cut short is a lower bound, and is projected
    to the whole work too: the baselines do the same work for every row they go through."""
    start = time.perf_counter()
    done = fn()
    elapsed = (time.perf_counter() - start) * 1000
    if done.share >= 1.0 and elapsed <= budget_s * 1000:
        return Timing(elapsed, elapsed, elapsed, 1)
    fixed = done.fixed_s * 1000
    projected = fixed + (elapsed - fixed) / done.share if done.share > 0 else None
    return Timing(elapsed, elapsed, elapsed, 1, lower_bound=True, projected_ms=projected)
