"""Sliding-window helpers shared by the detectors: which hours they read, the medians of sliding
windows, and how flagged windows merge into stretches of hours."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from dagster_project.detectors.findings import runs
from dagster_project.detectors.series import Series


def sliding_medians(x: np.ndarray, w: int) -> np.ndarray:
    """The median of every window of `w` consecutive values (`x.size - w + 1` of them): the
    numbers `np.median` gives over `sliding_window_view(x, w)`, NaN-propagating as it does, in
    O(n log w) instead of O(n w) (the middle one or two order statistics of each window from a
    rank filter; their mean, as np.median takes it, for an even `w`)."""
    if x.size < w or w < 1:
        return np.empty(0)
    if not np.isfinite(x).all():  # a rank filter does not order NaN as np.median propagates it
        return np.median(np.lib.stride_tricks.sliding_window_view(x, w), axis=1)
    x = np.asarray(x, dtype=np.float64)
    k = w // 2  # the filter centres a window of w values starting at i on position i + k
    upper = ndimage.rank_filter(x, k, size=w, mode="nearest")[k : x.size - w + 1 + k]
    if w % 2:
        return upper
    lower = ndimage.rank_filter(x, k - 1, size=w, mode="nearest")[k : x.size - w + 1 + k]
    return (lower + upper) / 2


def running_reported(s: Series) -> np.ndarray:
    """Grid positions of running hours with a measured value, whatever their validity or flag
    (unlike `Series.usable`), except under a declared maintenance or calibration mark (M, C):
    there the DAS holds, zeroes or reads a gas by design, and calibration_timing judges when."""
    return np.flatnonzero(
        s.running & s.present & np.isfinite(s.measured) & ~np.isin(s.flag, ["M", "C"])
    )


def away_from_stops(s: Series, before: int, after_max: int) -> np.ndarray:
    """Per grid hour: running in steady operation, away from any stop (stopped or transition
    hours; a gap in the data, state unknown, is no stop). Left out: the `before` hours before a
    stop (the plant cooling down) and, after a restart, the hours until the plant is back to its
    own running range (stack temperature up to its running 10th percentile and, where O2 is
    informative, O2 down to its running 90th percentile: a cold furnace, excess air), at most
    `after_max` hours. How long a plant takes to warm is read from its own channels (a gas
    boiler in an hour or two, a kiln or glass furnace in half a day)."""
    off = np.isin(s.state, ["stopped", "transition"])
    keep = s.running & ~off
    steady = s.usable & np.isfinite(s.temp)
    temp_ok = np.ones(keep.size, bool)
    if steady.sum() >= 24:
        temp_ok = np.nan_to_num(s.temp, nan=-np.inf) >= np.quantile(s.temp[steady], 0.1)
    o2_ok = np.ones(keep.size, bool)
    if s.o2_informative and (steady & np.isfinite(s.o2)).sum() >= 24:
        o2_ok = np.nan_to_num(s.o2, nan=np.inf) <= np.quantile(
            s.o2[steady & np.isfinite(s.o2)], 0.9
        )
    for lo, hi in runs(off):
        keep[max(lo - before, 0) : lo] = False
        j = hi + 1
        while j < keep.size and j <= hi + after_max and not (temp_ok[j] and o2_ok[j]):
            keep[j] = False
            j += 1
    return keep


def merged_windows(flags: np.ndarray, w: int) -> list[tuple[int, int]]:
    """Merge flagged windows (start positions, each covering w values) that overlap or touch into
    [first, last] position ranges."""
    out: list[tuple[int, int]] = []
    for i in np.flatnonzero(flags):
        lo, hi = int(i), int(i) + w - 1
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
