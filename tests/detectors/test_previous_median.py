"""The median of the previous n finite values, computed over sliding windows at once."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors.shifts import previous_median


def _one_by_one(x: np.ndarray, n: int) -> np.ndarray:
    prev = np.full(x.size, np.nan)
    vals = np.flatnonzero(np.isfinite(x))
    for i, pos in enumerate(vals):
        if i >= n:
            prev[pos] = np.median(x[vals[i - n : i]])
    return prev


def test_previous_median_is_the_median_of_the_finite_values_before() -> None:
    rng = np.random.default_rng(7)
    x = rng.lognormal(3.0, 0.5, 2000)
    x[rng.random(x.size) < 0.2] = np.nan  # stopped hours and gaps are skipped, not counted
    for n in (1, 24, 25):
        np.testing.assert_array_equal(previous_median(x, n), _one_by_one(x, n))
    assert np.isnan(previous_median(x[:24], 24)).all()
    assert previous_median(np.array([1.0, 3.0, np.nan, 2.0]), 2)[3] == 2.0
