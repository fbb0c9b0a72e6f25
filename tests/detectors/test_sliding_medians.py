"""Sliding-window medians from rank filters: the numbers np.median gives, window by window."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.detectors.windows import sliding_medians


def _numpy(x: np.ndarray, w: int) -> np.ndarray:
    return np.median(np.lib.stride_tricks.sliding_window_view(x, w), axis=1)


@pytest.mark.parametrize("w", [1, 2, 3, 8, 24, 25, 48, 72])
def test_the_same_medians_as_numpy_to_the_last_bit(w: int) -> None:
    rng = np.random.default_rng(w)
    for x in (
        rng.lognormal(size=1000),
        np.round(rng.normal(size=1000), 1),  # many ties
        np.repeat(rng.normal(size=50), 20),  # long flat stretches
        np.arange(300, dtype=float)[::-1],
    ):
        assert np.array_equal(sliding_medians(x, w), _numpy(x, w))


def test_windows_as_long_as_the_series_and_longer() -> None:
    x = np.array([3.0, 1.0, 2.0, 5.0])
    assert np.array_equal(sliding_medians(x, 4), np.array([2.5]))
    assert sliding_medians(x, 5).size == 0


def test_a_missing_value_propagates_as_in_numpy() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    got = sliding_medians(x, 3)
    assert np.array_equal(got, _numpy(x, 3), equal_nan=True)
    assert np.isnan(got[:3]).all() and not np.isnan(got[3:]).any()
