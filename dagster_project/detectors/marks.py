"""Detectors on when marks and gaps happen: calibration/maintenance timing (D18) and strategic
gaps (D20). Both ask whether the marked/missing hours sit where emissions would be high, judged
from the neighbouring unmarked hours: ranked within their own day (the 24 hours around each
episode), over all the series' weeks, and ranked within the outlet-month. Marks at a routine clock
hour (one marked on many days across the series) are routine calibrations and are left out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from dagster_project.detectors.channels import device_channels, fit_channels
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder, runs
from dagster_project.detectors.series import Series, by_device, month_slices


def _nearest_clean(clean: np.ndarray, lo: int, hi: int, reach: int) -> list[int]:
    """The nearest clean position before `lo` and after `hi`, each within `reach` hours."""
    out = []
    for start, step in ((lo - 1, -1), (hi + 1, 1)):
        i = start
        while 0 <= i < clean.size and abs(i - start) < reach:
            if clean[i]:
                out.append(i)
                break
            i += step
    return out


def counterfactual(s: Series, group: Sequence[Series], clean: np.ndarray, reach: int) -> np.ndarray:
    """What each hour would have read (log compliance value): its nearest clean neighbours (each
    side within `reach` hours, never itself) blended with the fit on the outlet's own channels
    (flow, temperature, O2, other pollutants) and with what its clock hour reads over the series'
    clean hours (`clock_hour_profile`): at each hour the blend of the parts known there, its
    weights fitted on the clean hours that know them. NaN where no part is known."""
    n = len(s.times)
    v = s.compliance
    logv = np.where(np.isfinite(v) & (v > 0), np.log(np.where(v > 0, v, 1.0)), np.nan)
    ok = clean & np.isfinite(logv)
    ctx = np.full(n, np.nan)
    for i in range(n):
        near = _nearest_clean(ok, i, i, reach)
        if near:
            ctx[i] = logv[near].mean()
    chans = device_channels(group, s)
    known = np.ones(n, bool)
    for ch in chans:
        known &= np.isfinite(ch)
    fitted = np.full(n, np.nan)
    fit = fit_channels(logv, chans, np.flatnonzero(ok & known))
    if fit is not None:
        fitted[known] = fit.predict(chans, np.flatnonzero(known))
    parts = [ctx, fitted, clock_hour_profile(s, logv, ok)]
    known_parts = np.array([np.isfinite(p) for p in parts])
    pred = np.where(np.isfinite(ctx), ctx, fitted)
    # each hour blends the parts known there (a gap that took the device's whole row has no
    # channels, a long one no neighbours), with weights fitted on the clean hours that know them
    for pattern in {tuple(col) for col in known_parts.T if col.any()}:
        use = [p for p, k in zip(parts, pattern, strict=True) if k]
        rows = ok & known_parts[list(pattern)].all(axis=0)
        blend = fit_channels(logv, use, np.flatnonzero(rows))
        if blend is not None:
            at = np.flatnonzero(np.all(pattern == known_parts.T, axis=1))
            pred[at] = blend.predict(use, at)
    return pred


def clock_hour_profile(
    s: Series, logv: np.ndarray, ok: np.ndarray, min_days: int = 4
) -> np.ndarray:
    """What each hour reads at its clock hour: the median of the clean log values (`ok`) at that
    clock hour over the series' days, or of all of them where fewer than `min_days` are known
    there (no profile to tell). A plant on a daily schedule (a morning start-up, a day shift, a
    batch) reads high at the same hours day after day, which the neighbouring hours of a mark or
    gap placed there may not show."""
    clock = np.array([t.hour for t in s.times])
    overall = float(np.median(logv[ok])) if ok.any() else np.nan
    profile = np.full(24, overall)
    for h in range(24):
        at = ok & (clock == h)
        if at.sum() >= min_days:
            profile[h] = np.median(logv[at])
    return profile[clock]


def _context_ranks(
    s: Series,
    episodes: list[tuple[int, int]],
    clean: np.ndarray,
    reference: tuple[int, int] | None,
    pred: np.ndarray,
    own: np.ndarray | None = None,
    min_reference: int = 6,
) -> list[float]:
    """Percentile rank of each episode among the clean hours of `reference` (a month's [start,
    end)) or, without one, of the episode's own day (the 24 hours around it, widened to 3 and 7
    days where the day holds fewer than `min_reference` clean hours: an outlet running in short
    batches). An episode whose every hour still reads flue gas (`own`) is ranked by its reading
    among the clean readings; any other by what its hours would have read (`pred`, the
    counterfactual) among what the clean hours would have read by the same method."""
    v = s.compliance
    n = len(v)
    out = []
    for lo, hi in episodes:
        # only the episode's running hours say what it hid: a mark or gap reaching into a stop
        # or a start-up would otherwise average in what a cold stack reads (one wholly inside
        # them hid nothing)
        hours = np.arange(lo, hi + 1)
        hours = hours[~np.isin(s.state[hours], ["stopped", "transition"])]
        if not hours.size:
            out.append(float("nan"))
            continue
        by_own = own is not None and bool(own[hours].all())
        scale = v if by_own else pred
        if by_own:
            value = float(np.mean(v[hours]))
        else:
            inside = pred[hours]
            value = (
                float(np.mean(inside[np.isfinite(inside)])) if np.isfinite(inside).any() else np.nan
            )
        if reference is not None:
            day = np.arange(*reference)
            day = day[(day < lo) | (day > hi)]
            ref = np.sort(scale[day][clean[day] & np.isfinite(scale[day])])
        else:
            ref = np.array([])
            for half in (12, 36, 84):
                day = np.arange(max(lo - half, 0), min(hi + half + 1, n))
                day = day[(day < lo) | (day > hi)]
                ref = np.sort(scale[day][clean[day] & np.isfinite(scale[day])])
                if ref.size >= min_reference:
                    break
        if not np.isfinite(value) or ref.size < min_reference:
            out.append(float("nan"))
            continue
        out.append(float(np.searchsorted(ref, value, side="right") / ref.size))
    return out


def routine_clock_hours(
    s: Series,
    episodes: list[tuple[int, int]],
    min_days: int,
    span: float,
    min_day_share: float = 0.0,
) -> set[int]:
    """Clock hours at which episodes start on at least `min_days` distinct days, and on at
    least `min_day_share` of the series' days, spread over at least `span` of them: a routine
    (daily or weekly) calibration, or a logger's schedule, not a choice."""
    days = defaultdict(set)
    for lo, _ in episodes:
        days[s.times[lo].hour].add(s.times[lo].date())
    total = max((s.times[-1] - s.times[0]).days, 1)
    fewest = max(min_days, int(np.ceil(min_day_share * total)))
    return {
        h
        for h, ds in days.items()
        if len(ds) >= fewest and (max(ds) - min(ds)).days >= span * total
    }


def _test(ranks: list[float], high: float) -> tuple[int, int, float, float, float]:
    """Ranks against Uniform(0, 1), two ways: the mean rank (one-sided z-test; sd of a mean of n
    uniforms is 1/sqrt(12 n)) and a sign test of the ranks above the median (binomial, 1/2 each;
    a few lucky episodes lift the mean but not the count). Returns (episodes at/above `high`,
    episodes, mean rank, p of the mean, p of the signs)."""
    r = np.array([x for x in ranks if np.isfinite(x)])
    if r.size == 0:
        return 0, 0, float("nan"), 1.0, 1.0
    z = (r.mean() - 0.5) / (1 / np.sqrt(12 * r.size))
    above = int(np.sum(r > 0.5))
    p_sign = float(stats.binomtest(above, int(r.size), 0.5, alternative="greater").pvalue)
    return int(np.sum(r >= high)), int(r.size), float(r.mean()), float(stats.norm.sf(z)), p_sign


@dataclass(frozen=True)
class _Episodes:
    """How a detector names its episodes in thresholds.toml and in the evidence."""

    kind: str  # anomaly type, also its thresholds.toml section
    min_key: str  # section key: fewest episodes worth judging
    min_name: str  # that threshold's name in the evidence
    count_name: str  # evidence: how many episodes were judged
    list_name: str  # evidence: the high-context episodes (the first 12)
    with_flag: bool  # list each episode's mark flag
    # the strata judged as a run day after day when nothing else found them (None: every one)
    recurring: tuple[str, ...] | None = None


_MARKS = _Episodes(
    "calibration_timing", "min_marked_hours", "min_marked", "marked_episodes", "marks", True
)
# Hours sent but invalid for lost minutes recur daily at any hour on many outlets; whole rows
# of one series gone day after day at wandering hours, while the outlet runs, do not.
_GAPS = _Episodes(
    "strategic_gap", "min_gaps", "min_gaps", "gaps", "gap_windows", False, ("absent",)
)


def _judge(
    fb: FindingsBuilder,
    s: Series,
    cfg: Config,
    spec: _Episodes,
    eps: list[tuple[int, int]],
    clean: np.ndarray,
    reference: tuple[int, int] | None,
    p_value: float,
    extra: dict[str, Any],
    pred: np.ndarray,
    own: np.ndarray | None = None,
    recurring: bool = False,
) -> bool:
    """One finding when the episodes sit, taken together, among high-emission hours (ranked within
    their own day when `reference` is None, else within that month); it spans the episodes whose
    own context ranks high. `recurring`: the episodes are a run of marks day after day at
    wandering clock hours (`daily_run`), judged on their mean rank alone with its own thresholds.
    Returns whether it reported."""
    c = cfg[spec.kind]
    if len(eps) < c[spec.min_key]:
        return False
    ranks = _context_ranks(s, eps, clean, reference, pred, own)
    k, n, mean_rank, p, p_sign = _test(ranks, c["high_rank"])
    min_mean_rank = c["recurring_min_mean_rank"] if recurring else c["min_mean_rank"]
    sign_p_value = 1.0 if recurring else c["sign_p_value"]
    # written as the condition to report: a NaN mean rank must not pass; a finding names the
    # episodes at high emission, so it needs one (a run judged on its mean alone may have none)
    if not (
        n >= c[spec.min_key]
        and p < p_value
        and p_sign <= sign_p_value
        and mean_rank >= min_mean_rank
        and k >= 1
    ):
        return False
    high = [e for e, r in zip(eps, ranks, strict=True) if np.isfinite(r) and r >= c["high_rank"]]
    listed = [
        {
            "start": s.times[lo],
            "end": s.times[hi],
            **({"flag": s.flag[lo]} if spec.with_flag else {}),
        }
        for lo, hi in high[:12]
    ]
    scale = "day" if reference is None else "month"
    t0, t1 = s.times[high[0][0]], s.times[high[-1][1]]
    fb.report(
        spec.kind,
        s.mn,
        s.pollutant_code,
        t0,
        t1,
        f"mean_context_rank_in_{scale}",
        mean_rank,
        {
            "min_mean_rank": min_mean_rank,
            "p_value": p_value,
            "sign_p_value": sign_p_value,
            spec.min_name: c[spec.min_key],
        },
        {
            spec.count_name: n,
            "rank_scale": (
                "within the 24 hours around each episode, over all weeks"
                if reference is None
                else "within the calendar month"
            ),
            **(
                {"episodes_judged": "a run of marks day after day at wandering clock hours"}
                if recurring
                else {}
            ),
            "at_high_emission": k,
            "mean_context_rank": mean_rank,
            "p": p,
            "sign_test_p": p_sign,
            spec.list_name: listed,
            **extra,
        },
    )
    return True


def _judge_series(
    fb: FindingsBuilder,
    s: Series,
    cfg: Config,
    spec: _Episodes,
    strata: dict[str, list[tuple[int, int]]],
    clean: np.ndarray,
    group: Sequence[Series],
    own: np.ndarray | None = None,
    routine: set[int] | None = None,
) -> None:
    """Leave out episodes at routine clock hours (`routine`, by default those of the episodes
    themselves: `routine_clock_hours`); judge each stratum (episodes made the same way: one mark
    letter, or absent rows apart from invalid ones, so that the few random episodes of one kind
    do not drown a deliberate pattern in another) within its episodes' own days over all weeks,
    and where that finds nothing, month by month. The p-value threshold is shared among the
    strata judged (Bonferroni)."""
    c = cfg[spec.kind]
    if routine is None:
        everything = [e for eps in strata.values() for e in eps]
        routine = routine_clock_hours(
            s, everything, int(c["routine_min_days"]), c["routine_day_span"]
        )
    kept = {
        name: [(lo, hi) for lo, hi in eps if s.times[lo].hour not in routine]
        for name, eps in strata.items()
    }
    kept = {name: eps for name, eps in kept.items() if len(eps) >= c[spec.min_key]}
    if not kept:
        return
    p_value = c["p_value"] / len(kept)
    pred = counterfactual(s, group, clean, int(c["context_hours"]))
    for name, eps in kept.items():
        extra = {"routine_clock_hours_excluded": sorted(routine), "episodes_of": name}
        if _judge(fb, s, cfg, spec, eps, clean, None, p_value, extra, pred, own):
            continue
        found = False
        for a, b in month_slices(s.times):
            month = [e for e in eps if a <= e[0] < b]
            found |= _judge(fb, s, cfg, spec, month, clean, (a, b), p_value, extra, pred, own)
        if found or (spec.recurring is not None and name not in spec.recurring):
            continue
        run = daily_run(
            s,
            eps,
            int(c["recurring_min_days"]),
            int(c["wander_hours"]),
            int(c.get("recurring_max_step_days", 1)),
        )
        p_run = c["recurring_p_value"] / len(kept)
        _judge(fb, s, cfg, spec, run, clean, None, p_run, extra, pred, own, recurring=True)


def daily_run(
    s: Series,
    eps: list[tuple[int, int]],
    min_days: int,
    wander_hours: int,
    max_step_days: int = 1,
) -> list[tuple[int, int]]:
    """The episodes of the longest run of days that each hold one, each at most `max_step_days`
    operating days after the one before (1: day after day; a day on which the outlet never ran
    is not counted: nothing could be hidden on it, so a plant off at weekends or between batches
    keeps its run), when it holds at least `min_days` days and its episodes start at
    `wander_hours` or more distinct clock hours: marks or gaps day after day but at no fixed time,
    which no calibration schedule makes (a routine calibration keeps its clock hour, a
    maintenance job is one block). Empty otherwise."""
    days = sorted({s.times[lo].date() for lo, _ in eps})
    operating = {s.times[i].date() for i in np.flatnonzero(s.running)}
    order = {d: k for k, d in enumerate(sorted(operating.union(days)))}
    best: list = []
    cur: list = []
    for d in days:
        cur = [*cur, d] if cur and order[d] - order[cur[-1]] <= max_step_days else [d]
        if len(cur) > len(best):
            best = cur
    if len(best) < min_days:
        return []
    run = [e for e in eps if best[0] <= s.times[e[0]].date() <= best[-1]]
    return run if len({s.times[lo].hour for lo, _ in run}) >= wander_hours else []


def flue_gas_readings(s: Series, marked: np.ndarray, zero_tol: float, rel_tol: float) -> np.ndarray:
    """Marked hours whose reported value reads like flue gas rather than a calibration: running,
    above zero, and not the same reading (within `rel_tol`) as a marked hour of another day (a
    zero or span gas cylinder read again)."""
    v = s.measured
    idx = np.flatnonzero(marked & s.running & np.isfinite(v) & (np.abs(v) > zero_tol))
    days = np.array([s.times[i].date() for i in idx])
    out = np.zeros(v.size, bool)
    for k, i in enumerate(idx):
        same = np.abs(v[idx] - v[i]) <= rel_tol * abs(v[i])
        if not np.any(same & (days != days[k])):
            out[i] = True
    return out


def calibration_timing(
    s: Series, group: Sequence[Series], cfg: Config, fb: FindingsBuilder
) -> None:
    """C/M-marked hours clustered at high emissions, judged per mark letter. A marked hour that
    still reads flue gas is ranked by its own value; one reading a calibration gas (or nothing)
    by its nearest unmarked neighbours."""
    minutes = np.nan_to_num(s.marked_minutes) >= 20
    marked = np.isin(s.flag, ["C", "M"]) | minutes
    clean = s.usable & ~marked & np.isfinite(s.compliance)
    strata: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for lo, hi in runs(marked):
        strata[s.flag[lo] if s.flag[lo] in ("C", "M") else "marked minutes"].append((lo, hi))
    zero_tol = max(
        cfg["sql"]["anomaly_mask_zero_dl_multiple"] * (s.detection_limit or 0.0),
        cfg["sql"]["anomaly_mask_zero_span_share"] * (s.span or 0.0),
    )
    own = flue_gas_readings(
        s, marked & ~minutes, zero_tol, cfg["sql"]["anomaly_mask_recur_rel_tol"]
    )
    _judge_series(fb, s, cfg, _MARKS, dict(strata), clean, group, own)


def strategic_gap(s: Series, group: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Gaps (absent/invalid hours while not stopped) whose surroundings rank high, judged apart
    for absent hours and for hours sent but invalid. A gap at the clock hour of the series'
    routine calibrations (C/M marks or marked minutes at that hour, on many days, whether they
    left the hour valid or not) is a calibration that ran over or invalidated its hour, not a
    choice: left out with them. Gaps that carry no mark are no calibration: their clock hour is
    routine only when they come at it on most days (`routine_gap_day_share`: a logger's own
    schedule), not on the few days a choice would take."""
    gap = ~s.valid & ~np.isin(s.state, ["stopped", "transition"])
    clean = s.usable & np.isfinite(s.compliance)
    strata: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for lo, hi in runs(gap):
        strata["sent but invalid" if s.present[lo] else "absent"].append((lo, hi))
    marked = np.isin(s.flag, ["C", "M"]) | (np.nan_to_num(s.marked_minutes) > 0)
    c = cfg[_GAPS.kind]
    min_days, span = int(c["routine_min_days"]), c["routine_day_span"]
    routine = routine_clock_hours(
        s, runs(marked & (s.valid | gap)), min_days, span
    ) | routine_clock_hours(s, runs(gap & ~marked), min_days, span, c["routine_gap_day_share"])
    _judge_series(fb, s, cfg, _GAPS, dict(strata), clean, group, routine=routine)


def calibration_timing_all(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    for group in by_device(series).values():
        for s in group:
            calibration_timing(s, group, cfg, fb)


def strategic_gap_all(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    for group in by_device(series).values():
        for s in group:
            strategic_gap(s, group, cfg, fb)
