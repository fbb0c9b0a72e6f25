"""Detectors on repeated or changed patterns: copied days (D21), programmed daily profiles (D22),
an outlet's fingerprint drifting from its own past (D24)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors.channels import device_channels, fit_channels
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series, by_device
from dagster_project.detectors.windows import away_from_stops, merged_windows


def _day_vectors(s: Series, min_hours: int) -> list[tuple[datetime, np.ndarray, int]]:
    """24-value vectors of the reported measured values per calendar day (whatever their flag:
    a copied day is copied whole) with enough reported hours, and each day's running hours."""
    out = []
    by_day: dict[datetime, np.ndarray] = {}
    running: dict[datetime, int] = {}
    for i, t in enumerate(s.times):
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        vec = by_day.setdefault(day, np.full(24, np.nan))
        if s.present[i]:
            vec[t.hour] = s.measured[i]
        running[day] = running.get(day, 0) + int(s.state[i] == "running")
    for day, vec in by_day.items():
        if np.isfinite(vec).sum() >= min_hours:
            out.append((day, vec, running[day]))
    return out


def copy_paste(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """A running day whose 24-h vector matches an earlier day (same or another outlet, running or
    not: a quiet day can be pasted too) within 0.5 % relative RMSE."""
    c = cfg["copy_paste"]
    by_pol: dict[str, list[tuple[Series, datetime, np.ndarray, int]]] = {}
    for s in series:
        zero_tol = s.zero_tol(cfg["sql"]["anomaly_zero_span_share"])
        for day, vec, running in _day_vectors(s, int(c["min_hours_per_day"])):
            # a day of zeros matches any other day of zeros: that is zero_while_operating's
            if np.nanmean(np.abs(vec)) > 2 * zero_tol:
                by_pol.setdefault(s.pollutant_code, []).append((s, day, vec, running))
    for pol, items in by_pol.items():
        items.sort(key=lambda it: (it[1], it[0].mn))
        mat = np.vstack([v for _, _, v, _ in items])
        for i in range(1, len(items)):
            if items[i][3] < 6:
                continue  # only a day the unit ran can hide its real values behind a copy
            diff = mat[:i] - mat[i]
            both = np.isfinite(diff)
            n_both = both.sum(axis=1)
            with np.errstate(all="ignore"):
                rmse = np.sqrt(np.nansum(diff**2, axis=1) / n_both)
                level = (np.nanmean(np.abs(mat[:i]), axis=1) + np.nanmean(np.abs(mat[i]))) / 2
                rel = np.where(n_both >= c["min_hours_per_day"], rmse / level, np.inf)
            j = int(np.argmin(rel))
            if rel[j] < c["rel_rmse"]:
                s, day, _, _ = items[i]
                src, src_day, _, _ = items[j]
                t0, t1 = day, day + timedelta(hours=23)
                fb.report(
                    "copy_paste",
                    s.mn,
                    pol,
                    t0,
                    t1,
                    "relative_rmse_to_source_day",
                    float(rel[j]),
                    {"rel_rmse": c["rel_rmse"]},
                    {
                        "source_mn": src.mn,
                        "source_day": src_day,
                        "hours_compared": int(n_both[j]),
                        "exact_equal_hours": int(np.sum(diff[j] == 0)),
                    },
                )


def _repeat_share(v: np.ndarray, lag: int, w: int, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Per window of `w` grid hours (start positions 0..n−w): the share of its value pairs
    (v_t, v_{t−lag}, both known) that repeat within `q` × the series' own median |v_t − v_{t−lag}|,
    and the number of pairs."""
    n = v.size
    d = np.full(n, np.nan)
    d[lag:] = np.abs(v[lag:] - v[:-lag])
    known = np.isfinite(d)
    typical = float(np.median(d[known])) if known.any() else float("nan")
    if not np.isfinite(typical) or typical <= 0:
        return np.zeros(n - w + 1), np.zeros(n - w + 1, int)
    close = known & (np.nan_to_num(d, nan=np.inf) <= q * typical)
    ck = np.r_[0, np.cumsum(known)]
    cc = np.r_[0, np.cumsum(close)]
    pairs = ck[w:] - ck[:-w]
    return (cc[w:] - cc[:-w]) / np.maximum(pairs, 1), pairs


def periodic_pattern(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """A stretch that repeats itself: a profile of any length from `min_lag_hours` to
    `max_lag_hours` (one day or several) written over the real signal, so that each value equals
    the one a period earlier up to a little noise. Judged on the log concentration (level-free)
    against the series' own repeat error at that period, and only where the flow (the load) does
    not repeat the same way."""
    c = cfg["periodic_pattern"]
    w = 24 * int(c["window_days"])
    ok = s.usable & np.isfinite(s.measured) & (s.measured > 0)
    n = len(s.times)
    if ok.sum() < 2 * w or n < w + int(c["min_lag_hours"]):
        return
    x = np.full(n, np.nan)
    x[ok] = np.log(s.measured[ok])
    fok = ok & np.isfinite(s.flow) & (s.flow > 0)
    fl = np.full(n, np.nan)
    fl[fok] = np.log(s.flow[fok])
    q = c["close_share_of_typical"]
    best = np.zeros(n - w + 1)  # the highest repeat share of each window, over periods
    best_lag = np.zeros(n - w + 1, int)
    best_flow = np.zeros(n - w + 1)
    for lag in range(int(c["min_lag_hours"]), min(int(c["max_lag_hours"]), n - w) + 1):
        share, pairs = _repeat_share(x, lag, w, q)
        share = np.where(pairs >= c["min_pairs"], share, 0.0)
        better = share > best
        if not better.any():
            continue
        fshare, _ = _repeat_share(fl, lag, w, q)
        best = np.where(better, share, best)
        best_lag = np.where(better, lag, best_lag)
        best_flow = np.where(better, fshare, best_flow)
    # the flow must repeat markedly less well than the concentration (else the load is clockwork)
    flagged = (best >= c["min_repeat_share"]) & (best_flow * c["flow_repeat_factor"] <= best)
    for lo, hi in merged_windows(flagged, w):
        starts = np.arange(lo, min(hi - w + 2, flagged.size))
        j = int(starts[np.argmax(best[starts])])
        t0, t1 = s.times[lo], s.times[hi]
        fb.report(
            "periodic_pattern",
            s.mn,
            s.pollutant_code,
            t0,
            t1,
            "repeat_share",
            float(best[j]),
            {
                "min_repeat_share": c["min_repeat_share"],
                "close_share_of_typical": q,
                "flow_repeat_factor": c["flow_repeat_factor"],
                "window_days": c["window_days"],
            },
            {
                "period_hours": int(best_lag[j]),
                "flow_repeat_share": float(best_flow[j]),
                "meaning": "share of running hours whose log value equals the one a period "
                "earlier within the given share of the series' own median difference at that "
                "period",
            },
        )


# level-free, and not the plain correlation with the channels: in a steady week the channels
# hardly move, so that correlation drops without anything being wrong
FEATURES = (
    "step_corr_with_own_channels",  # hour to hour the value moves with the outlet's flow,
    # temperature, O2 and other pollutants (the changes of its fit on them)
    "log_residual_spread",  # ... and departs from what they imply by its usual amount
    "lag1_autocorr",  # hour-to-hour persistence
    "log_step_spread",  # hour-to-hour noise (MAD of first differences of log values)
    "log_spread",  # spread of log values (MAD)
)
# a feature's spread across windows never counts as less than this (a perfectly steady feature
# would otherwise make any wobble infinite)
FLOORS = np.array([0.05, 0.05, 0.05, 0.05, 0.05])


@dataclass
class Fingerprint:
    """One series' fingerprint, window by window (a day apart)."""

    starts: list[int]  # window start positions on the grid
    features: np.ndarray  # windows × FEATURES
    hours: list[int]  # usable hours behind each window
    rows: np.ndarray  # grid positions of the hours read (usable, steady, every channel known)


def _mad(x: np.ndarray) -> float:
    return float(np.median(np.abs(x - np.median(x)))) if x.size else float("nan")


def fingerprints(s: Series, group: Sequence[Series], cfg: Config) -> Fingerprint | None:
    """Fit the series' log values on its outlet's channels over its usable hours in steady
    operation (`away_from_stops`: a shutdown and the hours cooling down before it and warming
    up after it are left out), then describe every sliding window by FEATURES."""
    c = cfg["fingerprint_drift"]
    w = 24 * int(c["window_days"])
    chans = device_channels(group, s)
    ok = (
        s.usable
        & (s.measured > 0)
        & away_from_stops(s, int(c["cool_down_hours"]), int(c["warm_up_max_hours"]))
    )
    for ch in chans:
        ok &= np.isfinite(ch)
    rows = np.flatnonzero(ok)
    if rows.size < c["min_baseline_days"] * 24:
        return None
    y = np.full(len(s.times), np.nan)
    y[rows] = np.log(s.measured[rows])
    fit = fit_channels(y, chans, rows)
    if fit is None:
        return None
    f = np.full(len(s.times), np.nan)
    f[rows] = fit.predict(chans, rows)
    resid = y - f
    typical = max(_mad(resid[rows]), 1e-9)
    starts, feats, hours = [], [], []
    for a in range(0, len(s.times) - w + 1, 24):
        m = np.flatnonzero(np.isfinite(resid[a : a + w])) + a
        if m.size < c["min_window_hours"] or np.std(f[m]) <= 0 or np.std(y[m]) <= 0:
            continue
        pairs = m[1:][np.diff(m) == 1]
        if pairs.size < 12:
            continue
        steps = y[pairs] - y[pairs - 1]
        fit_steps = f[pairs] - f[pairs - 1]
        with np.errstate(all="ignore"):
            lag1 = float(np.corrcoef(y[pairs], y[pairs - 1])[0, 1])
            step_corr = float(np.corrcoef(steps, fit_steps)[0, 1])
        feats.append(
            [
                step_corr if np.isfinite(step_corr) else 0.0,
                float(np.log(max(_mad(resid[m]), 1e-9) / typical)),
                lag1 if np.isfinite(lag1) else 0.0,
                float(np.log(max(_mad(steps), 1e-6))),
                float(np.log(max(_mad(y[m]), 1e-6))),
            ]
        )
        starts.append(a)
        hours.append(int(m.size))
    if len(starts) < c["min_baseline_windows"]:
        return None
    return Fingerprint(starts, np.array(feats), hours, rows)


def fingerprint_distance(fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
    """Per window: the robust z of each feature against the series' other windows (median and
    MAD across windows), and their root mean square (the distance)."""
    x = fp.features
    med = np.median(x, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(x - med), axis=0), FLOORS)
    z = (x - med) / spread
    return z, np.sqrt(np.mean(z**2, axis=1))


def departs_from_own_channels(z: np.ndarray, feature_z: float) -> np.ndarray:
    """Per window: whether the values stopped following the outlet's own channels (their hour to
    hour changes follow the fit on flow, temperature, O2 and other pollutants less than usual, or
    their departure from it grew by `feature_z`; a departure that shrank, a quiet spell at a
    steady set point, is values following their channels more closely). A window whose values
    still move with the outlet's own channels, however its spread and persistence changed (a new
    load regime, the start of the heating season), is the outlet operating differently, not
    another fingerprint."""
    step_corr = z[:, FEATURES.index("step_corr_with_own_channels")]
    resid = z[:, FEATURES.index("log_residual_spread")]
    return (step_corr < 0) | (resid >= feature_z)


def fingerprint_drift(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Days whose values stop looking like this outlet's: the window's fingerprint (how far the
    values' hour-to-hour changes follow the outlet's own flow, temperature, O2 and other
    pollutants, how far they depart from the fit on them, their persistence, noise and spread)
    departs from the series' other windows by a robust distance above the threshold, with several
    features moving at once, and the values no longer follow the outlet's own channels as they
    used to (`departs_from_own_channels`). A week of a peer's data, or of generated
    numbers with the right level, carries another fingerprint; a level shift alone does not
    count (the features are level-free)."""
    c = cfg["fingerprint_drift"]
    w = 24 * int(c["window_days"])
    for group in by_device(series).values():
        for s in group:
            fp = fingerprints(s, group, cfg)
            if fp is None:
                continue
            z, dist = fingerprint_distance(fp)
            moved = (np.abs(z) >= c["feature_z"]).sum(axis=1)
            flags = np.zeros(len(s.times) - w + 1, bool)
            hit = (
                (dist >= c["min_distance"])
                & (moved >= c["min_features"])
                & departs_from_own_channels(z, c["feature_z"])
            )
            for k in np.flatnonzero(hit):
                flags[fp.starts[k]] = True
            for lo, hi in merged_windows(flags, w):
                inside = [k for k in np.flatnonzero(hit) if lo <= fp.starts[k] <= hi]
                k = max(inside, key=lambda i: dist[i])
                # the finding spans the hours read, not the grid window around them
                read = fp.rows[(fp.rows >= lo) & (fp.rows <= hi)]
                fb.report(
                    "fingerprint_drift",
                    s.mn,
                    s.pollutant_code,
                    s.times[int(read[0])],
                    s.times[int(read[-1])],
                    "fingerprint_distance",
                    float(dist[k]),
                    {
                        "min_distance": c["min_distance"],
                        "feature_z": c["feature_z"],
                        "min_features": c["min_features"],
                        "window_days": c["window_days"],
                        "cool_down_hours": c["cool_down_hours"],
                        "warm_up_max_hours": c["warm_up_max_hours"],
                    },
                    {
                        "window": dict(zip(FEATURES, fp.features[k].tolist(), strict=True)),
                        "series_median": dict(
                            zip(FEATURES, np.median(fp.features, axis=0).tolist(), strict=True)
                        ),
                        "robust_z": dict(zip(FEATURES, z[k].tolist(), strict=True)),
                        "windows_compared": len(fp.starts),
                        "window_hours": fp.hours[k],
                    },
                )
