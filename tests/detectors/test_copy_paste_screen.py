"""copy_paste compares only the days that can be within its threshold, and finds exactly what
comparing each day with every earlier day finds: the same source day, the same relative RMSE to
the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.detectors.patterns import _best_matches

CFG = {"min_hours_per_day": 20, "rel_rmse": 0.005}


def _direct(mat: np.ndarray, ran: np.ndarray, start: int) -> dict[int, tuple]:
    """The definition, day by day: the closest earlier day within the threshold."""
    out = {}
    for i in range(max(start, 1), mat.shape[0]):
        if ran[i] < 6:
            continue
        diff = mat[:i] - mat[i]
        n_both = np.isfinite(diff).sum(axis=1)
        with np.errstate(all="ignore"):
            rmse = np.sqrt(np.nansum(diff**2, axis=1) / n_both)
            level = (np.nanmean(np.abs(mat[:i]), axis=1) + np.nanmean(np.abs(mat[i]))) / 2
            rel = np.where(n_both >= CFG["min_hours_per_day"], rmse / level, np.inf)
        j = int(np.argmin(rel))
        if rel[j] < CFG["rel_rmse"]:
            out[i] = (j, float(rel[j]), int(n_both[j]), int(np.sum(diff[j] == 0)))
    return out


def _days(seed: int, n: int, missing: float = 0.06) -> tuple[np.ndarray, np.ndarray]:
    """Day vectors with copies at noise just inside and just outside the threshold, repeated
    days (ties), missing hours and single-hour spikes (which raise one day's level)."""
    rng = np.random.default_rng(seed)
    mat = rng.lognormal(3, 0.8, size=(n, 1)) * (1 + 0.1 * rng.standard_normal((n, 24)))
    for _ in range(n // 10):
        src, dst = sorted(rng.choice(n, 2, replace=False))
        noise = rng.choice([0.0, 0.001, 0.0045, 0.005, 0.0055, 0.02])
        mat[dst] = mat[src] * (1 + noise * rng.standard_normal(24))
    for i in rng.choice(n - 4, n // 50, replace=False):
        mat[i + 1 : i + 4] = mat[i]
    mat[rng.random(mat.shape) < missing] = np.nan
    spikes = rng.random(mat.shape) < 0.003
    mat[spikes] *= 40
    return mat, rng.integers(0, 25, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_screen_finds_what_the_direct_comparison_finds(seed: int) -> None:
    mat, ran = _days(seed, 700)
    expected = _direct(mat, ran, 0)
    assert len(expected) > 30  # the copies are there to be found
    assert _best_matches(mat, ran, 0, CFG) == expected


@pytest.mark.parametrize("missing", [0.0, 0.005])
def test_complete_days_and_days_with_missing_hours_are_compared_alike(missing: float) -> None:
    """Days reporting all 24 hours (compared with the days of about their level) and a few
    missing some (compared with all whose range of means over 20 hours can come close)."""
    mat, ran = _days(9, 700, missing)
    expected = _direct(mat, ran, 0)
    assert len(expected) > 30
    assert _best_matches(mat, ran, 0, CFG) == expected


def test_only_days_from_start_are_compared() -> None:
    mat, ran = _days(3, 500)
    expected = {i: hit for i, hit in _direct(mat, ran, 0).items() if i >= 250}
    assert expected
    assert _best_matches(mat, ran, 250, CFG) == expected
