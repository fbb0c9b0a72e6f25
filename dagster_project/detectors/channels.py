"""What an outlet's own channels say a pollutant should read: the device's flow, stack
temperature and O2, and its other pollutants, lined up on one series' hourly grid, and a robust
least-squares fit of the pollutant on them. The detectors use it as the counterfactual of hours
they cannot trust (marked, missing, edited) and to take load out of a series before looking for
shifts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dagster_project.detectors.series import Series


def device_channels(group: Sequence[Series], own: Series) -> list[np.ndarray]:
    """On `own`'s grid: log flow, stack temperature, O2 (where the outlet's O2 is informative),
    each taken from whichever series of the device reported the hour, and the log of each other
    pollutant of the device (its usable hours)."""
    pos = {t: i for i, t in enumerate(own.times)}
    n = len(own.times)
    flow, temp, o2 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    others = []
    for g in group:
        idx = np.array([pos.get(t, -1) for t in g.times])
        inside = idx >= 0
        for dst, src in ((flow, g.flow), (temp, g.temp), (o2, g.o2)):
            fill = inside & np.isfinite(src)
            j = idx[fill]
            dst[j] = np.where(np.isfinite(dst[j]), dst[j], src[fill])
        if g is not own:
            v = np.full(n, np.nan)
            ok = inside & g.usable & (g.measured > 0)
            v[idx[ok]] = np.log(g.measured[ok])
            others.append(v)
    out = [np.log(np.where(flow > 0, flow, np.nan)), temp]
    if own.o2_informative:
        out.append(o2)
    return out + others


@dataclass
class ChannelFit:
    """y ≈ beta · [1, standardised channels]; `cols` are the channels that entered the fit."""

    cols: list[int]
    mean: np.ndarray
    std: np.ndarray
    beta: np.ndarray

    def predict(self, xs: Sequence[np.ndarray], idx: np.ndarray) -> np.ndarray:
        """The fit at grid positions `idx` (NaN where a channel is unknown)."""
        a = np.column_stack(
            [np.ones(idx.size)]
            + [
                (xs[c][idx] - m) / sd
                for c, m, sd in zip(self.cols, self.mean, self.std, strict=True)
            ]
        )
        return a @ self.beta


def fit_channels(
    y: np.ndarray, xs: Sequence[np.ndarray], rows: np.ndarray, rows_per_term: int = 10
) -> ChannelFit | None:
    """Least squares of y on the channels over grid positions `rows` (all channels known there),
    refitted once without the worst-fitting 5 % (start-ups, spikes). Channels that do not vary are
    left out; None where none is left or there are too few rows."""
    cols = [c for c, x in enumerate(xs) if np.all(np.isfinite(x[rows])) and np.std(x[rows]) > 0]
    if not cols or rows.size < rows_per_term * (len(cols) + 1):
        return None
    mean = np.array([xs[c][rows].mean() for c in cols])
    std = np.array([xs[c][rows].std() for c in cols])
    fit = ChannelFit(cols, mean, std, np.zeros(len(cols) + 1))
    a = np.column_stack(
        [np.ones(rows.size)]
        + [(xs[c][rows] - m) / sd for c, m, sd in zip(cols, mean, std, strict=True)]
    )
    yy = y[rows]
    beta = np.linalg.lstsq(a, yy, rcond=None)[0]
    r = yy - a @ beta
    keep = np.abs(r - np.median(r)) <= np.quantile(np.abs(r - np.median(r)), 0.95)
    fit.beta = np.linalg.lstsq(a[keep], yy[keep], rcond=None)[0]
    return fit
