"""Detectors on when marks and gaps happen: calibration/maintenance timing (D18) and strategic
gaps (D20). Both ask whether the marked/missing hours sit where emissions would be high, judged
from the neighbouring unmarked hours ranked within the outlet-month."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder, runs
from dagster_project.detectors.series import Series, month_slices


def _context_ranks(
    s: Series, a: int, b: int, episodes: list[tuple[int, int]], hours: int, clean: np.ndarray
) -> list[float]:
    """Percentile rank, within the month's clean hours, of the mean clean value around each
    episode."""
    v = s.compliance
    ref = np.sort(v[a:b][clean[a:b]])
    out = []
    for lo, hi in episodes:
        ctx_idx = [i for i in range(lo - hours, hi + hours + 1) if a <= i < b and not lo <= i <= hi]
        ctx = v[ctx_idx][clean[ctx_idx]] if ctx_idx else np.array([])
        if ctx.size == 0 or ref.size == 0:
            out.append(float("nan"))
            continue
        out.append(float(np.searchsorted(ref, ctx.mean(), side="right") / ref.size))
    return out


def _test(ranks: list[float], high: float) -> tuple[int, int, float, float]:
    """Mean context rank against Uniform(0, 1): one-sided z-test (sd of a mean of n uniforms is
    1/sqrt(12 n)). Returns (episodes at/above `high`, episodes, mean rank, p)."""
    r = np.array([x for x in ranks if np.isfinite(x)])
    if r.size == 0:
        return 0, 0, float("nan"), 1.0
    z = (r.mean() - 0.5) / (1 / np.sqrt(12 * r.size))
    return int(np.sum(r >= high)), int(r.size), float(r.mean()), float(stats.norm.sf(z))


@dataclass(frozen=True)
class _Episodes:
    """How a detector names its episodes in thresholds.toml and in the evidence."""

    kind: str  # anomaly type, also its thresholds.toml section
    min_key: str  # section key: fewest episodes in a month worth judging
    min_name: str  # that threshold's name in the evidence
    count_name: str  # evidence: how many episodes were judged
    list_name: str  # evidence: the high-context episodes (the first 12)
    with_flag: bool  # list each episode's mark flag


_MARKS = _Episodes(
    "calibration_timing", "min_marked_hours", "min_marked", "marked_episodes", "marks", True
)
_GAPS = _Episodes("strategic_gap", "min_gaps", "min_gaps", "gaps", "gap_windows", False)


def _report_high_context(
    fb: FindingsBuilder,
    s: Series,
    cfg: Config,
    spec: _Episodes,
    month: tuple[int, int],
    eps: list[tuple[int, int]],
    clean: np.ndarray,
    extra: dict[str, Any] | None = None,
) -> None:
    """One finding when a month's episodes sit, taken together, among its high-emission hours;
    it spans the episodes whose own context ranks high."""
    c = cfg[spec.kind]
    a, b = month
    if len(eps) < c[spec.min_key]:
        return
    ranks = _context_ranks(s, a, b, eps, int(c["context_hours"]), clean)
    k, n, mean_rank, p = _test(ranks, c["high_rank"])
    # written as the condition to report: a NaN mean rank must not pass
    if not (n >= c[spec.min_key] and p < c["p_value"] and mean_rank >= c["min_mean_rank"]):
        return
    high = [e for e, r in zip(eps, ranks, strict=True) if np.isfinite(r) and r >= c["high_rank"]]
    listed = [
        {
            "start": s.times[lo],
            "end": s.times[hi],
            **({"flag": s.flag[lo]} if spec.with_flag else {}),
        }
        for lo, hi in high[:12]
    ]
    t0, t1 = s.times[high[0][0]], s.times[high[-1][1]]
    fb.report(
        spec.kind,
        s.mn,
        s.pollutant_code,
        t0,
        t1,
        "mean_context_rank",
        mean_rank,
        {
            "min_mean_rank": c["min_mean_rank"],
            "p_value": c["p_value"],
            spec.min_name: c[spec.min_key],
        },
        {
            spec.count_name: n,
            "at_high_emission": k,
            "mean_context_rank": mean_rank,
            "p": p,
            spec.list_name: listed,
            **(extra or {}),
        },
    )


def calibration_timing(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """C/M-marked hours clustered at high emissions; marks at the outlet's routine daily clock
    hour are routine calibrations and are left out."""
    marked = np.isin(s.flag, ["C", "M"]) | (np.nan_to_num(s.marked_minutes) >= 20)
    clean = s.usable & ~marked & np.isfinite(s.compliance)
    eps_all = [(lo, hi) for lo, hi in runs(marked)]
    if not eps_all:
        return
    start_hours = Counter(s.times[lo].hour for lo, _ in eps_all)
    routine_hour, routine_n = start_hours.most_common(1)[0]
    days = {s.times[lo].date() for lo, _ in eps_all if s.times[lo].hour == routine_hour}
    routine = routine_n >= 0.5 * len(eps_all) and len(days) >= 5
    for a, b in month_slices(s.times):
        eps = [
            (lo, hi)
            for lo, hi in eps_all
            if a <= lo < b and not (routine and s.times[lo].hour == routine_hour)
        ]
        _report_high_context(
            fb,
            s,
            cfg,
            _MARKS,
            (a, b),
            eps,
            clean,
            {"routine_clock_hour_excluded": routine_hour if routine else None},
        )


def strategic_gap(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Gaps (absent/invalid hours while not stopped) whose surroundings rank high in the month."""
    gap = ~s.valid & ~np.isin(s.state, ["stopped", "transition"])
    clean = s.usable & np.isfinite(s.compliance)
    for a, b in month_slices(s.times):
        eps = [(lo + a, hi + a) for lo, hi in runs(gap[a:b])]
        _report_high_context(fb, s, cfg, _GAPS, (a, b), eps, clean)
