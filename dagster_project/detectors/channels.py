"""What an outlet's own channels say a pollutant should read: the device's flow, stack
temperature and O2, and its other pollutants, lined up on one series' hourly grid, and a robust
least-squares fit of the pollutant on them. The detectors use it as the counterfactual of hours
they cannot trust (marked, missing, edited) and to take load out of a series before looking for
shifts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dagster_project.detectors.series import Series, mad, positions_on


def device_channels(group: Sequence[Series], own: Series) -> list[np.ndarray]:
    """On `own`'s grid: log flow, stack temperature, O2 (where the outlet's O2 is informative),
    each taken from whichever series of the device reported the hour, and the log of each other
    pollutant of the device (its usable hours)."""
    n = len(own.times)
    flow, temp, o2 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    others = []
    for g in group:
        idx = positions_on(own, g)
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


@dataclass
class Fitted:
    """A series' log values and their fit on the outlet's own channels, on its grid (NaN where
    not read), and the grid positions read (`keep`, a positive value, every channel known)."""

    log_values: np.ndarray
    fitted: np.ndarray
    rows: np.ndarray


def fitted(own: Series, group: Sequence[Series], keep: np.ndarray) -> Fitted | None:
    """`own`'s log values over the hours `keep` selects, and their fit on its device's channels
    (`fit_channels`); None where no fit can be made."""
    chans = device_channels(group, own)
    ok = keep & (own.measured > 0)
    for ch in chans:
        ok &= np.isfinite(ch)
    rows = np.flatnonzero(ok)
    y = np.full(len(own.times), np.nan)
    y[rows] = np.log(own.measured[rows])
    fit = fit_channels(y, chans, rows)
    if fit is None:
        return None
    f = np.full(len(own.times), np.nan)
    f[rows] = fit.predict(chans, rows)
    return Fitted(y, f, rows)


@dataclass
class Drop:
    """How the slope of a series' hour-to-hour changes on those of its fit fell over a stretch."""

    inside: float  # slope over the stretch
    elsewhere: float  # slope over the other hours
    t: float  # (elsewhere - inside) in standard errors
    elsewhere_t: float  # the slope elsewhere in standard errors (is there a coupling to lose)
    pairs: int  # hour pairs read over the stretch


@dataclass
class StepCoupling:
    """A series' hour-to-hour changes of log values against those of their fit, over pairs of
    consecutive hours read. Hours where the fit jumps by more than 6 robust sd of its changes (a
    channel's fault, a probe in ambient air) are left out: they would decide the slope alone;
    departures from the overall slope beyond 3 robust sd are cut there (a spike is not a
    coupling)."""

    pairs: np.ndarray  # grid position of the later hour of each pair
    dy: np.ndarray
    df: np.ndarray
    sd: float  # robust sd of the departures from the overall slope

    @classmethod
    def of(cls, fit: Fitted) -> StepCoupling | None:
        y, f, rows = fit.log_values, fit.fitted, fit.rows
        pairs = rows[1:][np.diff(rows) == 1]
        dy, df = y[pairs] - y[pairs - 1], f[pairs] - f[pairs - 1]
        if pairs.size < 48:
            return None
        ordinary = np.abs(df - np.median(df)) <= 6 * mad(df)
        pairs, dy, df = pairs[ordinary], dy[ordinary], df[ordinary]
        if pairs.size < 48 or df @ df <= 0:
            return None
        slope = float(dy @ df / (df @ df))
        e = dy - slope * df
        sd = mad(e)
        if not sd > 0:
            return None
        return cls(pairs, slope * df + np.clip(e, -3 * sd, 3 * sd), df, sd)

    def drop(self, inside: np.ndarray, min_pairs: int = 24) -> Drop | None:
        """The slope over the pairs `inside` selects against the others' (None with fewer than
        `min_pairs` inside, or no change of the fit on either side)."""
        xy, xx = self.dy * self.df, self.df * self.df
        sums = [np.array([v]) for v in (xy[inside].sum(), xx[inside].sum(), xy.sum(), xx.sum())]
        return self._drops(*sums, np.array([int(inside.sum())]), min_pairs)[0]

    def drops_over(self, starts: np.ndarray, hours: int, min_pairs: int) -> list[Drop | None]:
        """`drop` for each stretch of `hours` grid positions from each of `starts` (one pass of
        cumulative sums, the same arithmetic)."""
        xy = np.concatenate([[0.0], np.cumsum(self.dy * self.df)])
        xx = np.concatenate([[0.0], np.cumsum(self.df * self.df)])
        lo = np.searchsorted(self.pairs, starts)
        hi = np.searchsorted(self.pairs, starts + hours)
        return self._drops(xy[hi] - xy[lo], xx[hi] - xx[lo], xy[-1], xx[-1], hi - lo, min_pairs)

    def _drops(
        self,
        xy_in: np.ndarray,
        xx_in: np.ndarray,
        xy_all: float | np.ndarray,
        xx_all: float | np.ndarray,
        k: np.ndarray,
        min_pairs: int,
    ) -> list[Drop | None]:
        xy_out, xx_out = xy_all - xy_in, xx_all - xx_in
        ok = (k >= min_pairs) & (xx_in > 0) & (xx_out > 0)
        with np.errstate(all="ignore"):
            b_in, b_out = xy_in / xx_in, xy_out / xx_out
            t = (b_out - b_in) / (self.sd * np.sqrt(1 / xx_in + 1 / xx_out))
            t_out = b_out * np.sqrt(xx_out) / self.sd
        return [
            Drop(float(b_in[i]), float(b_out[i]), float(t[i]), float(t_out[i]), int(k[i]))
            if ok[i]
            else None
            for i in range(k.size)
        ]
