"""Detectors on the level of one series: frozen values (D06), narrow band (D07), detection-limit
hugging (D08). All look only at hours the flue gas says are running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from scipy.stats import theilslopes

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from dagster_project.detectors.windows import merged_windows, running_reported, sliding_medians

# the values of a flagged stretch -> (the statistic's value, the evidence values)
Describe = Callable[[np.ndarray], tuple[float, dict[str, float]]]


def _report_windows(
    fb: FindingsBuilder,
    s: Series,
    kind: str,
    idx: np.ndarray,
    flags: np.ndarray,
    w: int,
    *,
    statistic: str,
    threshold: dict[str, float],
    describe: Describe,
    criteria: dict[str, np.ndarray] | None = None,
) -> None:
    """One finding per stretch of merged flagged windows over the positions `idx`; `criteria`
    (positions covered, by the name of the criterion that flagged them) names in the evidence
    which of them flagged each stretch."""
    x = s.measured[idx]
    for lo, hi in merged_windows(flags, w):
        t0, t1 = s.times[idx[lo]], s.times[idx[hi]]
        value, described = describe(x[lo : hi + 1])
        values: dict[str, Any] = dict(described)
        if criteria:
            values["criteria"] = [k for k, c in criteria.items() if c[lo : hi + 1].any()]
        fb.report(kind, s.mn, s.pollutant_code, t0, t1, statistic, value, threshold, values)


def constant_value(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Runs of running hours whose values stay within a tolerance of their median. A run goes
    on across hours under a declared maintenance or calibration mark (M, C): those hours are
    set aside, not counted (a value held across the day's calibration is held all the same)."""
    c = cfg["constant_value"]
    idx = running_reported(s)
    if idx.size < c["min_hours"]:
        return
    x = s.measured[idx]
    zero_tol = s.zero_tol(cfg["sql"]["anomaly_zero_span_share"])
    # tolerance: a fraction of the series' own hour-to-hour movement (or of span, if larger)
    consecutive = np.diff(idx) == 1
    adjacent = _adjacent_across_marks(s, idx)
    step = np.abs(np.diff(x))[consecutive]
    noise = float(np.median(step)) if step.size else 0.0

    def tolerance(seg: np.ndarray) -> float:
        # a share of the usual hour-to-hour step, but never more than a share of the level itself
        rel = min(
            c["tolerance_noise_share"] * noise, c["tolerance_rel"] * abs(float(np.median(seg)))
        )
        return max(c["tolerance_span_share"] * (s.span or 0), c["tolerance_abs_mg_m3"], rel)

    # tolerance(seg) lies between these bounds (max/min are exact): a range outside them is
    # decided without the run's median
    floor = max(c["tolerance_span_share"] * (s.span or 0), c["tolerance_abs_mg_m3"])
    ceiling = max(floor, c["tolerance_noise_share"] * noise)

    beyond = _breaks_run(floor, ceiling, tolerance)
    n = int(c["min_hours"])
    for i, j in _greedy_runs(x, _stretches(adjacent, x, _max_range(ceiling), n), beyond, n):
        seg = x[i : j + 1]
        if abs(np.median(seg)) > zero_tol:
            tol = tolerance(seg)
            t0, t1 = s.times[idx[i]], s.times[idx[j]]
            fb.report(
                "constant_value",
                s.mn,
                s.pollutant_code,
                t0,
                t1,
                "run_hours_within_tolerance",
                j - i + 1,
                {
                    "min_hours": c["min_hours"],
                    "tolerance_mg_m3": tol,
                    "typical_hourly_step_mg_m3": noise,
                },
                {
                    "median_mg_m3": float(np.median(seg)),
                    "range_mg_m3": float(seg.max() - seg.min()),
                    "exact_repeats": int(np.sum(np.diff(seg) == 0)),
                    # hours under an M or C mark inside the run: set aside, not counted
                    "marked_hours_set_aside": int(idx[j] - idx[i] + 1 - (j - i + 1)),
                },
            )


def _max_range(tol: float) -> float:
    """The largest range of a run held within ±tol (with room for rounding)."""
    return 2 * tol + 1e-9


def _breaks_run(
    floor: float, ceiling: float, tolerance: Callable[[np.ndarray], float]
) -> Callable[[np.ndarray], bool]:
    """Whether a stretch of values is too wide to be one run: its range against twice its
    tolerance, which lies between `floor` and `ceiling` (a range outside them is decided
    without computing it)."""

    def beyond(seg: np.ndarray) -> bool:
        spread = seg.max() - seg.min()
        if spread > _max_range(ceiling):
            return True
        if spread <= _max_range(floor):
            return False
        return spread > _max_range(tolerance(seg))

    return beyond


def _adjacent_across_marks(s: Series, idx: np.ndarray) -> np.ndarray:
    """Per pair of neighbours in `idx` (grid positions): next to each other on the grid, or
    apart only by hours present under a declared maintenance or calibration mark (M, C)."""
    set_aside = s.present & np.isin(s.flag, ["M", "C"])
    others = np.cumsum(~set_aside)  # hours not set aside, up to and including each position
    return others[idx[1:] - 1] - others[idx[:-1]] == 0


def _stretches(
    adjacent: np.ndarray, x: np.ndarray, max_step: float, min_len: int
) -> list[tuple[int, int]]:
    """The stretches [a, b) of values next to each other (`adjacent`, per pair of neighbours)
    whose steps are all within `max_step`, at least `min_len` long. A larger step ends every run
    there (a run's range is at least each of its steps), so the runs of `min_len` values or more
    lie within these stretches and start where the greedy scan over all values would start
    them."""
    joined = adjacent & (np.abs(np.diff(x)) <= max_step)
    cuts = np.flatnonzero(~joined) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, x.size]
    keep = ends - starts >= min_len
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))


def _greedy_runs(
    x: np.ndarray,
    stretches: list[tuple[int, int]],
    beyond: Callable[[np.ndarray], bool],
    min_len: int,
) -> Iterator[tuple[int, int]]:
    """Within each stretch, from its first hour: the longest run [i, j] that `beyond` does not
    break, then the next from the hour after it; the runs of at least `min_len` hours."""
    for a, b in stretches:
        i = a
        while i < b:
            j = i
            while j + 1 < b and not beyond(x[i : j + 2]):
                j += 1
            if j - i + 1 >= min_len:
                yield i, j
            i = j + 1


def _within_band(win: np.ndarray, quiet: np.ndarray, max_band: float) -> np.ndarray:
    """The quiet windows whose P95 − P5 is under `max_band` (percentiles only where quiet: few)."""
    out = np.zeros(quiet.size, bool)
    k = np.flatnonzero(quiet)
    if k.size:
        p5, p95 = np.percentile(win[k], [5, 95], axis=1)
        out[k] = p95 - p5 < max_band
    return out


def _covered(flags: np.ndarray, w: int, trim: int = 0) -> np.ndarray:
    """Positions inside any flagged window (`flags` by start position, each window w long), less
    `trim` positions at either end of each window."""
    out = np.zeros(flags.size + w - 1, bool)
    core = np.convolve(flags.astype(int), np.ones(w - 2 * trim, int)) > 0
    out[trim : trim + core.size] = core
    return out


def held_by_control(s: Series, rows: np.ndarray, min_slope: float, confidence: float) -> bool:
    """Whether the measured values over grid positions `rows` move with the flue gas's dilution
    as a held O2-corrected value makes them: the slope of their log on log(21 − O2) (1 when the
    corrected value holds still, the plant's control keeping it there; 0 for values that ignore
    O2) is at least `min_slope`, and above 0 at that two-sided `confidence`. The slope is
    Theil-Sen's (the median of the pairwise slopes), so the few ordinary hours either side that
    a flagged stretch takes in do not decide it. A band written over the measured values does
    not follow O2."""
    ok = np.isfinite(s.o2[rows]) & (s.measured[rows] > 0) & (s.o2[rows] < 21)
    if ok.sum() < 6:
        return False
    o = np.log(21 - s.o2[rows][ok])
    if np.ptp(o) <= 0:
        return False
    fit = theilslopes(np.log(s.measured[rows][ok]), o, alpha=confidence)
    return bool(fit.slope >= min_slope and fit.low_slope > 0)


def narrow_band(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Stretches varying within 2 % of span and far less than the outlet usually varies. Over a
    day (24 h): a spread under a fifth of its typical day's, or, on the log value (noise that
    scales with the level), under `log_variance_ratio` of its typical day's and under
    `hourly_change_ratio` of its median hour-to-hour change: a day quieter than the analyser's
    own hour-scale noise. Over two days (48 h), where chance quiet spells are far rarer: a log
    spread under `long_hourly_change_ratio` of that hour-to-hour change (reported as the
    window's middle day). On flue gas with informative O2, a stretch whose measured values follow
    O2 as a held O2-corrected value makes them is the plant's control at work and is left out
    (`held_by_control`)."""
    c = cfg["narrow_band"]
    w, long_w = int(c["window_hours"]), int(c["long_window_hours"])
    idx = np.flatnonzero(s.usable)
    if idx.size < max(3 * long_w, cfg["operating"]["min_running_hours"]) or not s.span:
        return
    x = s.measured[idx]
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    std = win.std(axis=1)
    typical = float(np.median(std))
    if typical < c["min_typical_std_span_share"] * s.span:
        return
    max_band = c["band_span_share"] * s.span
    floor = max(s.zero_tol(cfg["sql"]["anomaly_zero_span_share"]), 1e-6)
    lx = np.log(np.maximum(x, floor))
    log_std = np.lib.stride_tricks.sliding_window_view(lx, w).std(axis=1)
    log_typical = float(np.median(log_std))
    consecutive = np.diff(idx) == 1
    hourly = float(np.median(np.abs(np.diff(lx))[consecutive])) if consecutive.any() else 0.0
    quiet = (log_std < c["log_variance_ratio"] * log_typical) & (
        log_std < c["hourly_change_ratio"] * hourly
    )
    long_flags = _within_band(
        np.lib.stride_tricks.sliding_window_view(x, long_w),
        np.lib.stride_tricks.sliding_window_view(lx, long_w).std(axis=1)
        < c["long_hourly_change_ratio"] * hourly,
        max_band,
    )
    # a two-day window stands for its middle day: quiet hours either side of a band of a day or
    # more make a window quiet long before the band starts
    calm = std < c["variance_ratio"] * typical
    in_band = _within_band(win, calm | quiet, max_band)  # one percentile pass for both
    criteria = {
        "day_under_typical_spread": _covered(in_band & calm, w),
        "day_under_hourly_noise_log": _covered(in_band & quiet, w),
        "two_days_under_hourly_noise_log": _covered(long_flags, long_w, long_w // 4),
    }
    covered = np.logical_or.reduce(list(criteria.values()))
    if s.o2_informative:
        for lo, hi in merged_windows(covered, 1):
            if held_by_control(
                s, idx[lo : hi + 1], c["control_o2_slope"], c["control_o2_confidence"]
            ):
                covered[lo : hi + 1] = False

    def describe(seg: np.ndarray) -> tuple[float, dict[str, float]]:
        lseg = np.log(np.maximum(seg, floor))
        return float(seg.std() / typical), {
            "p5_p95_band_mg_m3": float(np.percentile(seg, 95) - np.percentile(seg, 5)),
            "typical_window_std_mg_m3": typical,
            "median_mg_m3": float(np.median(seg)),
            "log_std_over_typical_log_std": float(lseg.std() / max(log_typical, 1e-12)),
            "log_std_over_median_hourly_log_change": float(lseg.std() / max(hourly, 1e-12)),
        }

    _report_windows(
        fb,
        s,
        "narrow_band",
        idx,
        covered,
        1,
        statistic="window_std_over_typical_std",
        threshold={
            "window_hours": w,
            "variance_ratio": c["variance_ratio"],
            "log_variance_ratio": c["log_variance_ratio"],
            "hourly_change_ratio": c["hourly_change_ratio"],
            "long_window_hours": long_w,
            "long_hourly_change_ratio": c["long_hourly_change_ratio"],
            "band_span_share": c["band_span_share"],
            "band_mg_m3": max_band,
        },
        describe=describe,
        criteria=criteria,
    )


def detection_limit_hugging(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """24-h running windows whose median sits under 2 × DL while the outlet normally emits ≫ DL."""
    c = cfg["detection_limit_hugging"]
    w = int(c["window_hours"])
    idx = running_reported(s)
    if idx.size < max(3 * w, cfg["operating"]["min_running_hours"]):
        return
    dl = s.detection_limit or c["default_dl_span_share"] * (s.span or 0)
    if dl <= 0:
        return
    x = s.measured[idx]
    baseline = float(np.median(x))
    if baseline < c["baseline_dl_multiple"] * dl:
        return
    # not literally zero (that is D03): the window median sits above half the detection limit
    floor = 0.5 * dl
    med = sliding_medians(x, w)
    flags = (med < c["median_dl_multiple"] * dl) & (med > floor)

    def describe(seg: np.ndarray) -> tuple[float, dict[str, float]]:
        return float(np.median(seg)), {"outlet_median_mg_m3": baseline, "hours": int(seg.size)}

    _report_windows(
        fb,
        s,
        "detection_limit_hugging",
        idx,
        flags,
        w,
        statistic="window_median_mg_m3",
        threshold={
            "below_mg_m3": c["median_dl_multiple"] * dl,
            "detection_limit_mg_m3": dl,
            "baseline_min_mg_m3": c["baseline_dl_multiple"] * dl,
        },
        describe=describe,
    )
