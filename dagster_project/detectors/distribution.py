"""Detectors on the distribution of an outlet's values over a month: bunching under the limit
(D09), a hard cap (D10); and rounding/digit heaping (D11). The month is any 30 days (windows a
week apart), not only a calendar month: a manipulation starts and ends when it likes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy import stats

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from dagster_project.detectors.windows import merged_windows, running_reported

Found = tuple[int, int, float, dict[str, Any]]  # first, last grid position, score, evidence


def _period_values(
    s: Series, v: np.ndarray, days: int = 30, step_days: int = 7
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per window of `days` days (a `step_days` apart, the last one ending with the series): the
    grid positions of its usable hours where `v` is finite, and those values of `v`."""
    n, w, step = len(s.times), 24 * days, 24 * step_days
    starts = list(range(0, max(n - w, 0) + 1, step))
    if starts[-1] + w < n:
        starts.append(n - w)
    for a in starts:
        b = min(a + w, n)
        m = s.usable[a:b] & np.isfinite(v[a:b])
        yield np.flatnonzero(m) + a, v[a:b][m]


def _strongest_per_stretch(found: list[Found]) -> list[Found]:
    """Windows whose flagged hours overlap describe one stretch: keep its highest-scoring one,
    spanning the whole stretch."""
    out: list[Found] = []
    for lo, hi, score, ev in sorted(found, key=lambda f: f[0]):
        if out and lo <= out[-1][1]:
            plo, phi, pscore, pev = out[-1]
            best = (score, ev) if score > pscore else (pscore, pev)
            out[-1] = (plo, max(phi, hi), best[0], best[1])
        else:
            out.append((lo, hi, score, ev))
    return out


def _wall_below_limit(x: np.ndarray, c: dict[str, Any]) -> float:
    """P-value that a tail reaching up to the limit stops there by chance. A natural tail thins
    out gradually: the hours in [0.95 L, L), times how much [0.95 L, L) already thins out
    against [0.9 L, 0.95 L), is about how many hours it would put at or above L. Values kept
    under the limit pile up against it and none pass: a Poisson count of the hours above L that
    small under that expectation is a wall."""
    mid = c["band_low"] + (1.0 - c["band_low"]) / 2
    lower = int(np.sum((x >= c["band_low"]) & (x < mid)))
    upper = int(np.sum((x >= mid) & (x < 1.0)))
    above = int(np.sum(x >= 1.0))
    if upper == 0:
        return 1.0
    expected_above = upper * min(upper / max(lower, 1), 1.0)
    return float(stats.poisson.cdf(above, expected_above))


def _new_against_history(band: int, hours: int, band_all: int, hours_all: int) -> float:
    """One-sided Fisher p-value that the window's share of hours in the band exceeds the share of
    the series' other hours: bunching starts when someone starts it, a process held under its
    limit by its own control (SCR dosing) sits there all the time."""
    rest, rest_hours = band_all - band, hours_all - hours
    if rest_hours <= 0:
        return 1.0
    table = [[band, hours - band], [rest, rest_hours - rest]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def bunching_below_limit(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Excess density in [0.9 L, L) against [0.75 L, 0.9 L) with almost nothing above L; or,
    where the whole distribution was pushed up so that [0.75 L, 0.9 L) fills too, a wall at L
    (`_wall_below_limit`) in hours that sit in the band far more often than the series' own
    other hours do (`_new_against_history`)."""
    c = cfg["bunching_below_limit"]
    if not s.limit:
        return
    every = s.compliance[s.usable & np.isfinite(s.compliance)] / s.limit
    band_all = int(np.sum((every >= c["band_low"]) & (every < 1.0)))
    found: list[Found] = []
    for pos, values in _period_values(s, s.compliance):
        x = values / s.limit
        if x.size < c["min_hours"]:
            continue
        band = int(np.sum((x >= c["band_low"]) & (x < 1.0)))
        ref = int(np.sum((x >= c["ref_low"]) & (x < c["band_low"])))
        above = int(np.sum(x >= 1.0))
        w_band, w_ref = 1.0 - c["band_low"], c["band_low"] - c["ref_low"]
        ratio = (band / w_band) / (max(ref, 1) / w_ref)
        p = (
            float(
                stats.binomtest(
                    band, band + ref, w_band / (w_band + w_ref), alternative="greater"
                ).pvalue
            )
            if band + ref
            else 1.0
        )
        few_above = band >= c["min_band_hours"] and above <= c["max_above_per_band"] * band
        excess = ratio >= c["excess_ratio"] and p < c["p_value"]
        wall_p = _wall_below_limit(x, c) if few_above and not excess else 1.0
        new_p = (
            _new_against_history(band, x.size, band_all, every.size)
            if wall_p < c["wall_p_value"]
            else 1.0
        )
        if few_above and (excess or new_p < c["wall_p_value"]):
            in_band = pos[(x >= c["band_low"]) & (x < 1.0)]
            ev = {
                "hours_in_band": band,
                "hours_in_reference": ref,
                "hours_above_limit": above,
                "hours": int(x.size),
                "limit_mg_m3": s.limit,
                "binomial_p": p,
                "wall_poisson_p": wall_p,
                "band_share_vs_history_fisher_p": new_p,
                "band_share_other_hours": (band_all - band) / max(every.size - x.size, 1),
            }
            found.append((int(in_band[0]), int(in_band[-1]), ratio, ev))
    for lo, hi, ratio, ev in _strongest_per_stretch(found):
        fb.report(
            "bunching_below_limit",
            s.mn,
            s.pollutant_code,
            s.times[lo],
            s.times[hi],
            "excess_density_ratio",
            ratio,
            {
                "excess_ratio": c["excess_ratio"],
                "p_value": c["p_value"],
                "wall_p_value": c["wall_p_value"],
                "band": [c["band_low"], 1.0],
                "reference_band": [c["ref_low"], c["band_low"]],
                "window_days": 30,
            },
            ev,
        )


def _cap_levels(x: np.ndarray, tol: float, min_count: int) -> list[float]:
    """Where a cap could be, highest first: the window's maximum and the densest point of its
    upper half (the middle of the most values within `tol`, relative, of each other), each where
    at least `min_count` values sit on it (within `tol` of it)."""
    v = np.sort(x)[x.size // 2 :]
    if v.size < min_count:
        return []
    ends = np.searchsorted(v, v * (1 + tol), side="right")
    i = int(np.argmax(ends - np.arange(v.size)))
    levels = sorted({float(v[(i + ends[i] - 1) // 2]), float(v[-1])}, reverse=True)
    lo = np.searchsorted(v, [c * (1 - tol) for c in levels], side="left")
    hi = np.searchsorted(v, [c * (1 + tol) for c in levels], side="right")
    return [c for c, n in zip(levels, hi - lo, strict=True) if n >= min_count]


def _capped_stretch(
    pos: np.ndarray, x: np.ndarray, cap: float, c: Config
) -> tuple[np.ndarray, int] | None:
    """The hours at `cap` and the number of usable hours from the first to the last of them,
    where `cap` is the maximum of that stretch (nothing above it there) and the hours on it are
    a cap's share of the stretch; else None. Values above the cap elsewhere in the window (before
    the cap was set, after it was lifted) do not matter."""
    at = np.abs(x - cap) <= c["tolerance_rel"] * cap
    first, last = np.flatnonzero(at)[[0, -1]]
    inside = x[first : last + 1]
    if inside.size < c["min_hours"] or inside.max() > cap * (1 + c["tolerance_rel"]):
        return None
    n_cap = int(at.sum())
    if n_cap < c["min_count"] or not c["min_share"] <= n_cap / inside.size <= 0.5:
        return None
    return pos[at], int(inside.size)


def capped_value(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """A mass point at the top of a stretch: many hours pinned at one value that nothing in the
    stretch (first to last such hour) exceeds, in any 30 days."""
    c = cfg["capped_value"]
    for series_name, v in (("compliance", s.compliance), ("measured", s.measured)):
        if series_name == "measured" and s.reference_o2 is None:
            continue
        found: list[Found] = []
        for pos, x in _period_values(s, v):
            if x.size < c["min_hours"] or x.max() <= 0:
                continue
            for cap in _cap_levels(x[x > 0], c["tolerance_rel"], int(c["min_count"])):
                hit = _capped_stretch(pos, x, cap, c)
                if hit is None:
                    continue
                capped, hours = hit
                share = capped.size / hours
                ev = {
                    "cap_mg_m3": cap,
                    "hours_at_cap": int(capped.size),
                    "hours": hours,
                    "window_max_mg_m3": float(x.max()),
                    "basis": series_name,
                    "cap_over_limit": cap / s.limit if s.limit else None,
                }
                found.append((int(capped[0]), int(capped[-1]), share, ev))
                break
        for lo, hi, share, ev in _strongest_per_stretch(found):
            fb.report(
                "capped_value",
                s.mn,
                s.pollutant_code,
                s.times[lo],
                s.times[hi],
                "share_of_hours_at_maximum",
                share,
                {
                    "min_share": c["min_share"],
                    "min_count": c["min_count"],
                    "min_hours": c["min_hours"],
                    "tolerance_rel": c["tolerance_rel"],
                    "window_days": 30,
                },
                ev,
            )
        if found:
            return


def digit_anomaly(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Windows where values heap on whole numbers although the device reports decimals."""
    c = cfg["digit_anomaly"]
    w = int(c["window_hours"])
    idx = running_reported(s)
    if idx.size < max(2 * w, c["min_values"]):
        return
    x = s.measured[idx]
    is_int = np.abs(x - np.round(x)) < 1e-9
    base = float(is_int.mean())
    win = np.lib.stride_tricks.sliding_window_view(is_int, w).mean(axis=1)
    for lo, hi in merged_windows(win >= c["integer_share"], w):
        inside = np.zeros(is_int.size, bool)
        inside[lo : hi + 1] = True
        k, n = int(is_int[inside].sum()), int(inside.sum())
        p0 = max(float(is_int[~inside].mean()) if (~inside).any() else base, 0.01)
        p = float(stats.binomtest(k, n, min(p0, 0.99), alternative="greater").pvalue)
        if p >= c["p_value"]:
            continue
        # trim to the first/last whole number
        pos = np.flatnonzero(inside & is_int)
        t0, t1 = s.times[idx[pos[0]]], s.times[idx[pos[-1]]]
        fb.report(
            "digit_anomaly",
            s.mn,
            s.pollutant_code,
            t0,
            t1,
            "whole_number_share",
            k / n,
            {"integer_share": c["integer_share"], "p_value": c["p_value"]},
            {"values": n, "whole_numbers": k, "share_outside_window": p0, "binomial_p": p},
        )
