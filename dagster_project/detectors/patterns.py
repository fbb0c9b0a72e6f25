"""Detectors on repeated or changed patterns: copied days (D21), programmed daily profiles (D22),
an outlet's fingerprint drifting from its own past (D24)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from dagster_project.detectors.channels import Drop, Fitted, StepCoupling, fitted
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series, by_device
from dagster_project.detectors.windows import away_from_stops, merged_windows


def _day_vectors(s: Series, min_hours: int, above: float) -> list[tuple[datetime, np.ndarray, int]]:
    """24-value vectors of the reported measured values per calendar day (whatever their flag:
    a copied day is copied whole) with enough reported hours and a mean absolute value above
    `above`, and each day's running hours."""
    n = len(s.times)
    if not n:
        return []
    if s.times[-1] - s.times[0] != timedelta(hours=n - 1):
        raise ValueError(f"{s.mn} {s.pollutant_code}: times are not a full hourly grid")
    first = s.times[0].replace(hour=0, minute=0, second=0, microsecond=0)
    pos = s.times[0].hour + np.arange(n)  # hours since the first midnight
    days = int(pos[-1]) // 24 + 1
    grid = np.full(days * 24, np.nan)
    grid[pos[s.present]] = s.measured[s.present]
    vectors = grid.reshape(days, 24)
    running = np.bincount(pos // 24, weights=s.running, minlength=days).astype(int)
    known = np.isfinite(vectors).sum(axis=1)
    days_kept = np.flatnonzero(known >= min_hours)
    level = np.nanmean(np.abs(vectors[days_kept]), axis=1)  # every kept day has a value
    return [
        (first + timedelta(days=int(d)), vectors[d], int(running[d]))
        for d in days_kept[level > above]
    ]


# What copy_paste found for each day vector, kept between builds (see copy_paste).
COPY_MEMO_SCHEMA: dict[str, pl.DataType] = {
    "pollutant_code": pl.String(),
    "pos": pl.Int64(),
    "mn": pl.String(),
    "day": pl.Datetime("us"),
    "digest": pl.String(),
    "config": pl.String(),
    "source_mn": pl.String(),
    "source_day": pl.Datetime("us"),
    "rel_rmse": pl.Float64(),
    "hours_compared": pl.Int64(),
    "exact_equal_hours": pl.Int64(),
}
# a day vector's identity in the memo, and what its comparison found
_KEY_SCHEMA = {c: COPY_MEMO_SCHEMA[c] for c in ("mn", "day", "digest")}
_MATCH_SCHEMA = {
    c: COPY_MEMO_SCHEMA[c]
    for c in ("source_mn", "source_day", "rel_rmse", "hours_compared", "exact_equal_hours")
}


def _day_digests(mat: np.ndarray, running: np.ndarray) -> list[str]:
    """Per day vector (a row of `mat`): a digest of its values and its running hours."""
    width = mat.shape[1] * 8
    values = memoryview(np.ascontiguousarray(mat, dtype=np.float64).tobytes())
    hours = memoryview(running.astype("<u4").tobytes())
    out = []
    for i in range(len(running)):
        h = hashlib.blake2b(values[i * width : (i + 1) * width], digest_size=16)
        h.update(hours[4 * i : 4 * i + 4])
        out.append(h.hexdigest())
    return out


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its row positions (the memo's `pos`) in front."""
    return frame.with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64))


def _kept_matches(
    memo: pl.DataFrame | None, pol: str, signed: str, keys: pl.DataFrame
) -> pl.DataFrame:
    """The stored results (_MATCH_SCHEMA) of the longest run of leading day vectors that are
    exactly as stored (same outlet, day, values and running hours, same thresholds)."""
    if memo is None or memo.height == 0:
        return pl.DataFrame(schema=_MATCH_SCHEMA)
    rows = memo.filter((pl.col("pollutant_code") == pol) & (pl.col("config") == signed)).sort("pos")
    n = min(rows.height, keys.height)
    same = pl.all_horizontal(
        (pl.col(c) == pl.col(f"{c}_kept")).fill_null(False) for c in _KEY_SCHEMA
    )
    paired = keys.head(n).hstack(
        rows.head(n).select(pl.col(c).alias(f"{c}_kept") for c in _KEY_SCHEMA)
    )
    differs = paired.select((~same).arg_true().first()).item()
    return rows.head(n if differs is None else int(differs)).select(list(_MATCH_SCHEMA))


def copy_paste(
    series: Sequence[Series],
    cfg: Config,
    fb: FindingsBuilder,
    memo: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A running day whose 24-h vector matches an earlier day (same or another outlet, running or
    not: a quiet day can be pasted too) within 0.5 % relative RMSE.

    The days of a pollutant are ordered by (day, outlet) and each is compared with every day
    before it, so a day's result depends on nothing but the day vectors up to it. Returns the
    result of every day vector (COPY_MEMO_SCHEMA); given the previous build's (`memo`), the
    leading days whose vectors and every vector before them are exactly as then keep their
    result and only the days from the first difference on are compared (a nightly: the new
    day's vectors against the year)."""
    c = cfg["copy_paste"]
    signed = json.dumps([c, cfg["sql"]["anomaly_zero_span_share"]], sort_keys=True, default=str)
    by_pol: dict[str, list[tuple[Series, datetime, np.ndarray, int]]] = {}
    for s in series:
        zero_tol = s.zero_tol(cfg["sql"]["anomaly_zero_span_share"])
        # a day of zeros matches any other day of zeros: that is zero_while_operating's
        for day, vec, running in _day_vectors(s, int(c["min_hours_per_day"]), 2 * zero_tol):
            by_pol.setdefault(s.pollutant_code, []).append((s, day, vec, running))
    results = [pl.DataFrame(schema=COPY_MEMO_SCHEMA)]
    for pol, items in by_pol.items():
        items.sort(key=lambda it: (it[1], it[0].mn))
        mat = np.vstack([v for _, _, v, _ in items])
        ran = np.array([r for _, _, _, r in items])
        keys = pl.DataFrame(
            {
                "mn": [it[0].mn for it in items],
                "day": [it[1] for it in items],
                "digest": _day_digests(mat, ran),
            },
            schema=_KEY_SCHEMA,
        )
        kept = _kept_matches(memo, pol, signed, keys)
        found = _best_matches(mat, ran, kept.height, c)
        new = pl.DataFrame(
            [(i, items[j][0].mn, items[j][1], *hit) for i, (j, *hit) in sorted(found.items())],
            schema={"pos": pl.Int64(), **_MATCH_SCHEMA},
            orient="row",
        )
        matches = (
            _numbered(keys)
            .join(pl.concat([_numbered(kept), new]), on="pos", how="left")
            .sort("pos")
        )
        for i, src_mn, src_day, rel, hours, equal in (
            matches.filter(pl.col("source_mn").is_not_null())
            .select("pos", *_MATCH_SCHEMA)
            .iter_rows()
        ):
            s, day, _, _ = items[i]
            fb.report(
                "copy_paste",
                s.mn,
                pol,
                day,
                day + timedelta(hours=23),
                "relative_rmse_to_source_day",
                rel,
                {"rel_rmse": c["rel_rmse"]},
                {
                    "source_mn": src_mn,
                    "source_day": src_day,
                    "hours_compared": hours,
                    "exact_equal_hours": equal,
                },
            )
        results.append(matches.with_columns(pollutant_code=pl.lit(pol), config=pl.lit(signed)))
    return pl.concat(results, how="diagonal").select(list(COPY_MEMO_SCHEMA)).cast(COPY_MEMO_SCHEMA)


def _best_matches(
    mat: np.ndarray, ran: np.ndarray, start: int, c: dict
) -> dict[int, tuple[int, float, int, int]]:
    """Each day i >= `start` (a row of `mat`) against every day before it: the closest, when
    within the threshold, as {i: (j, rel. RMSE, hours compared, exactly equal hours)}.

    Only a day the unit ran (>= 6 running hours) can hide its real values behind a copy. Only
    the days that can be within the threshold are compared, exactly as a direct comparison
    would: over the hours S both days report, RMSE_S >= mean_S |a - b| >= |mean_S |a| -
    mean_S |b||, so the two days' mean absolute values over S must lie closer than the
    threshold times the pair's level. Over S = every hour when both days report all hours (a
    day's level itself: a range of level found by bisection over the days sorted by level);
    otherwise over some >= `min_hours_per_day` of a day's hours, whose mean lies between the
    mean of its lowest and of its highest that many values. The result is the same as comparing
    each day with every earlier one, without the quadratic work when days are complete."""
    n = mat.shape[0]
    m, thr = int(c["min_hours_per_day"]), c["rel_rmse"]
    known = np.isfinite(mat)
    level = np.nanmean(np.abs(mat), axis=1)
    low, high = _mean_ranges(mat, known, m)
    complete = known.all(axis=1)
    t = thr / 2 * (1 + 1e-9) + 1e-12  # |x - y| < thr (x + y) / 2, with room for rounding
    full = np.flatnonzero(complete)
    by_level = full[np.argsort(level[full], kind="stable")]
    sorted_level = level[by_level]
    partial = np.flatnonzero(~complete)
    found: dict[int, tuple[int, float, int, int]] = {}
    for i in np.flatnonzero((np.arange(n) >= max(start, 1)) & (ran >= 6)):
        li = level[i]
        pj = partial[: np.searchsorted(partial, i)]
        if complete[i]:
            lo, hi = np.searchsorted(sorted_level, [li * (1 - 2 * t), li * (1 + 3 * t)])
            cj = by_level[lo:hi]
            cj = cj[(cj < i) & (np.abs(level[cj] - li) <= t * (level[cj] + li))]
        else:
            cj = full[: np.searchsorted(full, i)]
        cand = np.concatenate([pj, cj])
        gap = np.maximum(0.0, np.maximum(low[i] - high[cand], low[cand] - high[i]))
        both = complete[cand] & complete[i]
        cand = cand[both | (gap <= t * (li + level[cand]))]
        if cand.size:
            cand.sort()
            hit = _closest(mat, level, int(i), cand, m, thr)
            if hit is not None:
                found[int(i)] = hit
    return found


def _mean_ranges(mat: np.ndarray, known: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per day: the lowest and the highest mean absolute value over any m or more of the hours
    it reports (the mean of its m lowest, of its m highest)."""
    a = np.abs(mat)
    low = np.sort(np.where(known, a, np.inf), axis=1)[:, :m].mean(axis=1)
    high = -np.sort(np.where(known, -a, np.inf), axis=1)[:, :m].mean(axis=1)
    return low, high


def _closest(
    mat: np.ndarray, level: np.ndarray, i: int, cand: np.ndarray, m: int, thr: float
) -> tuple[int, float, int, int] | None:
    """Day i against the earlier days `cand` (ascending): the closest, when within `thr`;
    `level` holds each day's mean absolute value."""
    diff = mat[cand] - mat[i]
    n_both = np.isfinite(diff).sum(axis=1)
    with np.errstate(all="ignore"):
        rmse = np.sqrt(np.nansum(diff**2, axis=1) / n_both)
        rel = np.where(n_both >= m, rmse / ((level[cand] + level[i]) / 2), np.inf)
    j = int(np.argmin(rel))
    if not rel[j] < thr:
        return None
    return int(cand[j]), float(rel[j]), int(n_both[j]), int(np.sum(diff[j] == 0))


def _repeat_shares(
    v: np.ndarray, lags: np.ndarray, w: int, q: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per period in `lags` (rows) and window of `w` grid hours (columns, start positions
    0..n−w): the share of its value pairs (v_t, v_{t−lag}, both known) that repeat within `q` ×
    the series' own median |v_t − v_{t−lag}| at that period, and the number of pairs."""
    n, top = v.size, int(lags.max())
    before = np.concatenate([np.full(top, np.nan), v])  # v_{t−lag} at [top − lag + t]
    with np.errstate(invalid="ignore"):
        d = np.abs(v[None, :] - before[(top - lags)[:, None] + np.arange(n)])
    known = np.isfinite(d)
    typical = np.array(
        [_median(row[ok]) if ok.any() else np.nan for row, ok in zip(d, known, strict=True)]
    )
    usable = np.isfinite(typical) & (typical > 0)
    with np.errstate(invalid="ignore"):
        close = known & (d <= q * typical[:, None])  # an unknown pair (NaN) is never close
    ck = np.zeros((lags.size, n + 1), np.int32)
    cc = np.zeros((lags.size, n + 1), np.int32)
    np.cumsum(known, axis=1, out=ck[:, 1:])
    np.cumsum(close, axis=1, out=cc[:, 1:])
    pairs = ck[:, w:] - ck[:, :-w]
    share = (cc[:, w:] - cc[:, :-w]) / np.maximum(pairs, 1)
    share[~usable] = 0.0
    pairs[~usable] = 0
    return share, pairs


def periodic_pattern(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """A stretch that repeats itself: a profile of any length from `min_lag_hours` to
    `max_lag_hours` (one day or several) written over the real signal, so that each value equals
    the one a period earlier up to a little noise. Judged on the log concentration (level-free)
    against the series' own repeat error at that period, and only where the flow (the load) does
    not repeat the same way. A plant that runs part of the day reads fewer hours a day: its
    windows are as much longer (`window_days`), so that they hold as many value pairs."""
    c = cfg["periodic_pattern"]
    ok = s.usable & np.isfinite(s.measured) & (s.measured > 0)
    read = np.flatnonzero(ok)
    # two base windows of hours read (a longer window holds no more of them)
    if read.size < 2 * 24 * int(c["window_days"]):
        return
    w = 24 * window_days(int(read.size), int(read[-1] - read[0] + 1), c)
    n = len(s.times)
    if n < w + int(c["min_lag_hours"]):
        return
    x = np.full(n, np.nan)
    x[ok] = np.log(s.measured[ok])
    fok = ok & np.isfinite(s.flow) & (s.flow > 0)
    fl = np.full(n, np.nan)
    fl[fok] = np.log(s.flow[fok])
    q = c["close_share_of_typical"]
    lags = np.arange(int(c["min_lag_hours"]), min(int(c["max_lag_hours"]), n - w) + 1)
    share, pairs = _repeat_shares(x, lags, w, q)
    # only a window repeating at `min_repeat_share` or more can be flagged: the best period of
    # the others is never read (their flow is not compared); of equal shares, the shortest period
    share = np.where((pairs >= c["min_pairs"]) & (share >= c["min_repeat_share"]), share, 0.0)
    k = np.argmax(share, axis=0)
    best = share[k, np.arange(share.shape[1])]  # the highest repeat share of each window
    best_lag = np.where(best > 0, lags[k], 0)
    best_flow = np.zeros(best.size)
    for j in np.unique(k[best > 0]):
        at = (k == j) & (best > 0)
        best_flow[at] = _repeat_shares(fl, lags[j : j + 1], w, q)[0][0][at]
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
                "window_days": w // 24,
                "window_read_hours": c["window_read_hours"],
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
    window: int  # window length in grid hours (whole days)
    features: np.ndarray  # windows × FEATURES
    hours: list[int]  # usable hours behind each window
    rows: np.ndarray  # grid positions of the hours read (usable, steady, every channel known)
    fit: Fitted  # the values read and their fit on the outlet's own channels


def _median(x: np.ndarray) -> float:
    """np.median of a 1-D array of finite values, the same value without its general-purpose
    wrapping (called for every period of every series)."""
    k = x.size // 2
    if x.size % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2)


def _mad(x: np.ndarray) -> float:
    return _median(np.abs(x - _median(x))) if x.size else float("nan")


def _row_medians(x: np.ndarray) -> np.ndarray:
    """The median of each row's finite values (NaN for a row without any): the same value as
    np.median of those values, all rows in one sort."""
    k = np.isfinite(x).sum(axis=1)
    srt = np.sort(x, axis=1)  # NaN sorts last
    lo = np.take_along_axis(srt, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(srt, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
    return np.where(k > 0, np.where(k % 2 == 1, hi, (lo + hi) / 2), np.nan)


def _row_mad(x: np.ndarray) -> np.ndarray:
    """Per row, the median absolute deviation of its finite values from their median."""
    return _row_medians(np.abs(x - _row_medians(x)[:, None]))


def _row_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the Pearson correlation of the positions where both are finite (the two are NaN
    at the same positions here); NaN where either is constant."""
    both = np.isfinite(a) & np.isfinite(b)
    a, b = np.where(both, a, 0.0), np.where(both, b, 0.0)
    count = np.maximum(both.sum(axis=1, keepdims=True), 1)
    da = np.where(both, a - a.sum(axis=1, keepdims=True) / count, 0.0)
    db = np.where(both, b - b.sum(axis=1, keepdims=True) / count, 0.0)
    with np.errstate(all="ignore"):
        r = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    return np.clip(r, -1.0, 1.0)


def window_days(hours_read: int, span_hours: int, c: dict) -> int:
    """Days per window: `window_days`, or more for a plant that runs part of the day, so that a
    window holds about `window_read_hours` hours read at the series' rate of reading (a day-shift
    boiler reads ~10 hours a day: 4 days would give it fewer than `min_window_hours`), at most
    `max_window_days`."""
    per_day = 24 * hours_read / max(span_hours, 1)
    wanted = int(np.ceil(float(c["window_read_hours"]) / max(per_day, 1e-9)))
    return int(min(max(int(c["window_days"]), wanted), int(c["max_window_days"])))


def fingerprints(s: Series, group: Sequence[Series], cfg: Config) -> Fingerprint | None:
    """Fit the series' log values on its outlet's channels over its usable hours in steady
    operation (`away_from_stops`: a shutdown and the hours cooling down before it and warming
    up after it are left out), then describe every sliding window (`window_days` long) by
    FEATURES."""
    c = cfg["fingerprint_drift"]
    steady = s.usable & away_from_stops(s, int(c["cool_down_hours"]), int(c["warm_up_max_hours"]))
    fit = fitted(s, group, steady)
    if fit is None or fit.rows.size < c["min_baseline_days"] * 24:
        return None
    y, f, rows = fit.log_values, fit.fitted, fit.rows
    resid = y - f
    typical = max(_mad(resid[rows]), 1e-9)
    n = len(s.times)
    w = 24 * window_days(int(rows.size), int(rows[-1] - rows[0] + 1), c)
    if n < w:
        return None
    # every window at once: rows of w hours, NaN where an hour was not read
    starts_all = np.arange(0, n - w + 1, 24)

    def windows(v: np.ndarray, first: int = 0) -> np.ndarray:
        return np.lib.stride_tricks.sliding_window_view(v, w)[starts_all][:, first:]

    read = np.isfinite(resid)
    pair = np.zeros(n, bool)  # the hour and the one before it both read
    pair[1:] = read[1:] & read[:-1]
    y_now, y_before, steps, fit_steps = (np.full(n, np.nan) for _ in range(4))
    y_now[pair] = y[pair]
    y_before[1:][pair[1:]] = y[:-1][pair[1:]]
    steps[pair] = y_now[pair] - y_before[pair]
    fit_steps[1:][pair[1:]] = f[1:][pair[1:]] - f[:-1][pair[1:]]
    read_w, y_w = windows(read), windows(y)
    hours_read = read_w.sum(axis=1)
    n_pairs = windows(pair, 1).sum(axis=1)

    def varies(vw: np.ndarray) -> np.ndarray:
        return np.where(read_w, vw, -np.inf).max(axis=1) > np.where(read_w, vw, np.inf).min(axis=1)

    keep = (hours_read >= c["min_window_hours"]) & varies(windows(f)) & varies(y_w)
    keep &= n_pairs >= 12
    if not keep.any():
        return None
    steps_w = windows(steps, 1)[keep]
    lag1 = _row_corr(windows(y_now, 1)[keep], windows(y_before, 1)[keep])
    step_corr = _row_corr(steps_w, windows(fit_steps, 1)[keep])
    feats = np.column_stack(
        [
            np.where(np.isfinite(step_corr), step_corr, 0.0),
            np.log(np.maximum(_row_mad(windows(resid)[keep]), 1e-9) / typical),
            np.where(np.isfinite(lag1), lag1, 0.0),
            np.log(np.maximum(_row_mad(steps_w), 1e-6)),
            np.log(np.maximum(_row_mad(y_w[keep]), 1e-6)),
        ]
    )
    starts = [int(a) for a in starts_all[keep]]
    hours = [int(h) for h in hours_read[keep]]
    if len(starts) < c["min_baseline_windows"]:
        return None
    return Fingerprint(starts, w, feats, hours, rows, fit)


def fingerprint_distance(fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
    """Per window: the robust z of each feature against the series' other windows (median and
    MAD across windows), and their root mean square (the distance)."""
    x = fp.features
    med = np.median(x, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(x - med), axis=0), FLOORS)
    z = (x - med) / spread
    return z, np.sqrt(np.mean(z**2, axis=1))


def departs_from_own_channels(z: np.ndarray) -> np.ndarray:
    """Per window: whether the values stopped following the outlet's own channels: both their
    hour-to-hour changes follow the fit on flow, temperature, O2 and other pollutants less than
    usual, and their departure from it grew (values that no longer follow their channels do
    both). A departure that shrank is a quiet spell at a steady set point, whatever the changes'
    correlation; a departure that grew while the changes follow the channels as closely as ever
    is a noisier spell of the same plant. A window whose values still move with the outlet's own
    channels, however its spread and persistence changed (a new load regime, the start of the
    heating season), is the outlet operating differently, not another fingerprint."""
    step_corr = z[:, FEATURES.index("step_corr_with_own_channels")]
    resid = z[:, FEATURES.index("log_residual_spread")]
    return (step_corr < 0) & (resid > 0)


@dataclass
class Decoupled:
    """A stretch whose hour-to-hour changes stopped following the outlet's own channels."""

    lo: int  # first and last grid position of the stretch
    hi: int
    drop: Drop


def decoupled_stretches(fp: Fingerprint, c: dict) -> list[Decoupled]:
    """Stretches of `coupling_days` days (longer where the fingerprint's windows are; sliding a
    day) over which the slope of the series' hour-to-hour log changes on those of its fit
    (`StepCoupling`) fell to at most
    `max_slope_share` of its slope elsewhere, by at least `min_drop_t` standard errors; a series
    that does not follow its channels elsewhere (slope under `min_drop_t` standard errors) has no
    coupling to lose. Overlapping stretches are merged, keeping the strongest drop."""
    sc = StepCoupling.of(fp.fit)
    if sc is None:
        return []
    found: list[Decoupled] = []
    # a plant running part of the day reads fewer pairs a day: its stretches are as much longer
    # as its fingerprint windows are, and ask for as many pairs read
    stretch = fp.window / (24 * int(c["window_days"]))
    for days in c["coupling_days"]:
        w = 24 * int(np.ceil(int(days) * stretch))
        starts = np.arange(0, len(fp.fit.log_values) - w + 1, 24)
        for a, d in zip(starts, sc.drops_over(starts, w, 12 * int(days)), strict=True):
            if (
                d is not None
                and d.elsewhere_t >= c["min_drop_t"]
                and d.inside <= c["max_slope_share"] * d.elsewhere
                and d.t >= c["min_drop_t"]
            ):
                read = sc.pairs[(sc.pairs >= a) & (sc.pairs < a + w)]
                found.append(Decoupled(int(read[0]) - 1, int(read[-1]), d))
    merged: list[Decoupled] = []
    for d in sorted(found, key=lambda d: d.lo):
        if merged and d.lo <= merged[-1].hi:
            m = merged[-1]
            merged[-1] = Decoupled(m.lo, max(m.hi, d.hi), max(m.drop, d.drop, key=lambda x: x.t))
        else:
            merged.append(d)
    return merged


def fingerprint_drift(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Days whose values stop looking like this outlet's: the window's fingerprint (how far the
    values' hour-to-hour changes follow the outlet's own flow, temperature, O2 and other
    pollutants, how far they depart from the fit on them, their persistence, noise and spread)
    departs from the series' other windows by a robust distance above the threshold, with several
    features moving at once, and the values no longer follow the outlet's own channels as they
    used to (`departs_from_own_channels`). A week of a peer's data, or of generated
    numbers with the right level, carries another fingerprint; a level shift alone does not
    count (the features are level-free). Also reported: days over which the values' changes
    stopped following those channels altogether (`decoupled_stretches`), however little the
    other features moved. (Another device's values copied over an outlet's are found by
    `copies.scaled_copies`.)"""
    c = cfg["fingerprint_drift"]
    for group in by_device(series).values():
        for s in group:
            fp = fingerprints(s, group, cfg)
            if fp is None:
                continue
            w = fp.window
            z, dist = fingerprint_distance(fp)
            moved = (np.abs(z) >= c["feature_z"]).sum(axis=1)
            flags = np.zeros(len(s.times) - w + 1, bool)
            hit = (
                (dist >= c["min_distance"])
                & (moved >= c["min_features"])
                & departs_from_own_channels(z)
            )
            for k in np.flatnonzero(hit):
                flags[fp.starts[k]] = True
            spans = merged_windows(flags, w)
            for lo, hi in spans:
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
                        "window_days": fp.window // 24,
                        "window_read_hours": c["window_read_hours"],
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
            for d in decoupled_stretches(fp, c):
                if any(d.lo <= hi and d.hi >= lo for lo, hi in spans):
                    continue  # reported above
                fb.report(
                    "fingerprint_drift",
                    s.mn,
                    s.pollutant_code,
                    s.times[d.lo],
                    s.times[d.hi],
                    "coupling_drop_t",
                    d.drop.t,
                    {
                        "min_drop_t": c["min_drop_t"],
                        "max_slope_share": c["max_slope_share"],
                        "coupling_days": c["coupling_days"],
                    },
                    {
                        "slope_inside": d.drop.inside,
                        "slope_elsewhere": d.drop.elsewhere,
                        "hour_pairs_inside": d.drop.pairs,
                        "meaning": "slope of the hour-to-hour changes of log values on those "
                        "of their fit on the outlet's own flow, temperature, O2 and other "
                        "pollutants, over the stretch and elsewhere; t: its drop in standard "
                        "errors",
                    },
                )
