"""constant_value seeks its runs only within stretches joined by small steps, and finds exactly
the runs the greedy scan over every running hour finds."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.detectors.levels import _breaks_run, _greedy_runs, _max_range, _stretches

MIN_HOURS = 8


def _direct(idx: np.ndarray, x: np.ndarray, beyond, min_len: int) -> list[tuple[int, int]]:
    """The definition: from the first hour, the longest run of consecutive hours `beyond` does
    not break, then the next from the hour after it."""
    out, i = [], 0
    while i < idx.size:
        j = i
        while j + 1 < idx.size and idx[j + 1] == idx[j] + 1:
            if beyond(x[i : j + 2]):
                break
            j += 1
        if j - i + 1 >= min_len:
            out.append((i, j))
        i = j + 1
    return out


def _series(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """A moving series with frozen stretches (exact, jittered at and around the tolerance),
    steps exactly at the screen's bound, and gaps in the running hours."""
    rng = np.random.default_rng(seed)
    x = 50 * np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    for _ in range(40):
        a = int(rng.integers(0, n - 40))
        k = int(rng.integers(3, 30))
        jitter = rng.choice([0.0, 0.004, 0.01, 0.011, 0.05])
        x[a : a + k] = x[a] + rng.uniform(-jitter, jitter, k)
    for _ in range(20):  # a step of exactly twice the ceiling tolerance
        a = int(rng.integers(1, n))
        x[a] = x[a - 1] + 0.02
    keep = rng.random(n) > 0.03
    return np.flatnonzero(keep), x[keep]


@pytest.mark.parametrize("seed", range(8))
def test_same_runs_as_the_scan_over_every_hour(seed: int) -> None:
    idx, x = _series(seed)
    floor, ceiling = 0.005, 0.01

    beyond = _breaks_run(floor, ceiling, lambda seg: max(floor, 0.001 * abs(float(np.median(seg)))))

    found = list(
        _greedy_runs(
            x, _stretches(np.diff(idx) == 1, x, _max_range(ceiling), MIN_HOURS), beyond, MIN_HOURS
        )
    )
    assert found == _direct(idx, x, beyond, MIN_HOURS)
    assert len(found) >= 5  # the series has runs to find


def test_a_step_beyond_the_bound_cuts_a_stretch() -> None:
    x = np.r_[np.full(10, 5.0), np.full(10, 5.0 + 0.03)]
    adjacent = np.ones(19, bool)
    assert _stretches(adjacent, x, 0.02, 8) == [(0, 10), (10, 20)]
    apart = np.diff(np.r_[np.arange(10), np.arange(11, 21)]) == 1
    assert _stretches(apart, np.full(20, 5.0), 0.02, 8) == [
        (0, 10),
        (10, 20),
    ]
    assert _stretches(adjacent, x, 0.02, 11) == []
