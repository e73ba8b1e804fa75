"""Medians and percentiles of repeated timings."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Seconds (or any one unit) of repeated runs."""

    median: float
    p95: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples")
        return cls(
            median=statistics.median(samples), p95=percentile(samples, 95), runs=len(samples)
        )


def percentile(samples: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); the maximum of one run."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes (perf_counter: not moved by time_machine)."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def paired(
    ours: Callable[[], object],
    baseline: Callable[[], object],
    *,
    warmup: int,
    runs: int,
) -> tuple[Summary, Summary]:
    """Alternate ours and the baseline, so both see the same noise; warm-up runs not counted."""
    for _ in range(warmup):
        ours()
        baseline()
    ours_samples, baseline_samples = [], []
    for _ in range(runs):
        ours_samples.append(timed(ours))
        baseline_samples.append(timed(baseline))
    return Summary.of(ours_samples), Summary.of(baseline_samples)
