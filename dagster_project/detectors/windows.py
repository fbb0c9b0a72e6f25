"""Sliding-window helpers shared by the level and distribution detectors: which hours they read,
and how flagged windows merge into stretches of hours."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors.series import Series


def running_reported(s: Series) -> np.ndarray:
    """Grid positions of running hours with a measured value, whatever their validity or flag
    (unlike `Series.usable`), except under a declared maintenance or calibration mark (M, C):
    there the DAS holds, zeroes or reads a gas by design, and calibration_timing judges when."""
    return np.flatnonzero(
        s.running & s.present & np.isfinite(s.measured) & ~np.isin(s.flag, ["M", "C"])
    )


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
