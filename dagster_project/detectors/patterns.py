"""Detectors on repeated or changed patterns: copied days (D21), programmed daily profiles (D22),
an outlet's fingerprint drifting from its own past (D24)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series


def _day_vectors(s: Series, min_hours: int) -> list[tuple[datetime, np.ndarray]]:
    """24-value vectors of the reported measured values per calendar day (whatever their flag:
    a copied day is copied whole) with enough reported hours and at least 6 running hours."""
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
        if np.isfinite(vec).sum() >= min_hours and running[day] >= 6:
            out.append((day, vec))
    return out


def copy_paste(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """A day whose 24-h vector matches an earlier day (same or another outlet) within 1 % RMSE."""
    c = cfg["copy_paste"]
    by_pol: dict[str, list[tuple[Series, datetime, np.ndarray]]] = {}
    for s in series:
        zero_tol = s.zero_tol(cfg["sql"]["anomaly_zero_span_share"])
        for day, vec in _day_vectors(s, int(c["min_hours_per_day"])):
            if np.nanmean(np.abs(vec)) > 2 * zero_tol:
                by_pol.setdefault(s.pollutant_code, []).append((s, day, vec))
    for pol, items in by_pol.items():
        items.sort(key=lambda it: (it[1], it[0].mn))
        mat = np.vstack([v for _, _, v in items])
        for i in range(1, len(items)):
            diff = mat[:i] - mat[i]
            both = np.isfinite(diff)
            n_both = both.sum(axis=1)
            with np.errstate(all="ignore"):
                rmse = np.sqrt(np.nansum(diff**2, axis=1) / n_both)
                level = (np.nanmean(np.abs(mat[:i]), axis=1) + np.nanmean(np.abs(mat[i]))) / 2
                rel = np.where(n_both >= c["min_hours_per_day"], rmse / level, np.inf)
            j = int(np.argmin(rel))
            if rel[j] < c["rel_rmse"]:
                s, day, _ = items[i]
                src, src_day, _ = items[j]
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


def periodic_pattern(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """7-day windows where one daily profile explains nearly all variance of the concentration
    while the flow (the load) does not follow the same clockwork."""
    c = cfg["periodic_pattern"]
    wd = int(c["window_days"])
    if len(s.times) < 24 * wd:
        return
    hours = np.array([t.hour for t in s.times])
    ok = s.usable & np.isfinite(s.measured)

    def r2(v: np.ndarray, m: np.ndarray, h: np.ndarray) -> tuple[float, float]:
        x, hh = v[m], h[m]
        if x.size < 48 or x.var() <= 0:
            return float("nan"), float("nan")
        prof = np.array([x[hh == k].mean() if np.any(hh == k) else np.nan for k in range(24)])
        resid = x - prof[hh]
        cv = float(np.nanstd(prof) / max(abs(np.nanmean(prof)), 1e-9))
        return 1 - float(resid.var() / x.var()), cv

    flagged: list[tuple[int, int, float, float, float]] = []
    for a in range(0, len(s.times) - 24 * wd + 1, 24):
        b = a + 24 * wd
        r2x, cv = r2(s.measured[a:b], ok[a:b], hours[a:b])
        if not np.isfinite(r2x) or r2x < c["r2"] or cv < c["min_profile_cv"]:
            continue
        r2f, _ = r2(s.flow[a:b], ok[a:b] & np.isfinite(s.flow[a:b]), hours[a:b])
        if np.isfinite(r2f) and r2f >= r2x - 0.15:
            continue
        if flagged and a <= flagged[-1][1]:
            flagged[-1] = (flagged[-1][0], b - 1, max(flagged[-1][2], r2x), r2f, cv)
        else:
            flagged.append((a, b - 1, r2x, r2f, cv))
    for a, b, r2x, r2f, cv in flagged:
        t0, t1 = s.times[a], s.times[b]
        fb.report(
            "periodic_pattern",
            s.mn,
            s.pollutant_code,
            t0,
            t1,
            "r2_daily_profile",
            r2x,
            {"r2": c["r2"], "min_profile_cv": c["min_profile_cv"]},
            {"r2_flow": r2f, "profile_cv": cv, "window_days": wd},
        )


def _week_features(x: np.ndarray, flow: np.ndarray, o2: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        med = np.median(x)
        cv = np.std(x) / max(abs(np.mean(x)), 1e-9)
        lag1 = np.corrcoef(x[:-1], x[1:])[0, 1] if x.size > 2 else np.nan
        cf = np.corrcoef(x, flow)[0, 1] if np.nanstd(flow) > 0 else np.nan
        co = np.corrcoef(x, o2)[0, 1] if np.nanstd(o2) > 0 else np.nan
    return np.array([np.log(max(med, 1e-6)), np.log(max(cv, 1e-6)), lag1, cf, co])


FEATURES = ("log_median", "log_cv", "lag1_autocorr", "corr_flow", "corr_o2")
FLOORS = np.array([0.15, 0.2, 0.1, 0.1, 0.1])


def fingerprint_drift(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """A week whose fingerprint (level, CV, autocorrelation, coupling to flow and O2) departs from
    the outlet's other weeks by a robust z above the threshold."""
    c = cfg["fingerprint_drift"]
    ok = s.usable & np.isfinite(s.measured) & np.isfinite(s.flow) & np.isfinite(s.o2)
    weeks: list[tuple[int, int, np.ndarray]] = []
    for a in range(0, len(s.times) - 167, 168):
        m = np.flatnonzero(ok[a : a + 168]) + a
        if m.size >= 48:
            weeks.append((a, a + 167, _week_features(s.measured[m], s.flow[m], s.o2[m])))
    if len(weeks) < c["min_baseline_weeks"] + 1:
        return
    feats = np.vstack([f for _, _, f in weeks])
    for i, (a, b, f) in enumerate(weeks):
        other = np.delete(feats, i, axis=0)
        with np.errstate(all="ignore"):
            med = np.nanmedian(other, axis=0)
            spread = np.maximum(1.4826 * np.nanmedian(np.abs(other - med), axis=0), FLOORS)
            z = np.abs(f - med) / spread
        z = np.nan_to_num(z, nan=0.0)
        # coupling to flow must break, not just wobble: the correlation drop must be large too
        corr_drop = abs(f[3] - med[3]) if np.isfinite(f[3]) and np.isfinite(med[3]) else 0.0
        j = int(np.argmax(z))
        if z[j] >= c["robust_z"] and (
            FEATURES[j] != "corr_flow" or corr_drop >= c["min_corr_drop"]
        ):
            t0, t1 = s.times[a], s.times[b]
            fb.report(
                "fingerprint_drift",
                s.mn,
                s.pollutant_code,
                t0,
                t1,
                f"robust_z_{FEATURES[j]}",
                float(z[j]),
                {"robust_z": c["robust_z"]},
                {
                    "week": dict(zip(FEATURES, f.tolist(), strict=True)),
                    "baseline_median": dict(zip(FEATURES, med.tolist(), strict=True)),
                    "baseline_weeks": len(weeks) - 1,
                },
            )
