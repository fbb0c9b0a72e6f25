"""World B's fault injector, written apart from world A's: every case draws its size, duration and
timing (any hour of the day), and several kinds come in more than one form (a masked exceedance
of one hour or twelve, under M, C or D, with neighbours anywhere from 0.3 to 0.9 of the limit; a
step up or down; a programmed profile of one to four days; a foreign week from a peer outlet or
from a generator). The DAS arithmetic stays consistent unless the fault is an arithmetic edit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np

from benchmarks.detector_worlds.workbench import Workbench


def _lim(wb: Workbench, mn: str, pol: str) -> float:
    return float(wb.meta(mn, pol)["limit_mg_m3"])


def _span(wb: Workbench, mn: str, pol: str) -> float:
    return float(wb.meta(mn, pol)["analyzer_range"])


def _draw(
    wb: Workbench, mn: str, pol: str, hours: int, share: float = 1.0, margin: int = 72
) -> np.ndarray | None:
    """A window of `hours` grid hours starting at any hour, mostly running (share), not at the
    very edges of the series."""
    run = wb.running(mn, pol)
    n = run.size
    if n < hours + 2 * margin:
        return None
    starts = np.arange(margin, n - hours - margin)
    rate = np.convolve(run.astype(float), np.ones(hours), "valid")[starts] / hours
    ok = starts[rate >= share]
    if ok.size == 0:
        return None
    s = int(wb.rng.choice(ok))
    return np.arange(s, s + hours)


def _hours(wb: Workbench, lo: int, hi: int) -> int:
    return int(wb.rng.integers(lo, hi + 1))


def _mark_invalid(c: dict[str, np.ndarray], idx: np.ndarray, flag: str) -> None:
    c["flag"][idx] = flag
    c["valid_minutes"][idx] = 0
    c["marked_minutes"][idx] = 60
    c["is_valid"][idx] = False
    c["minute_mean"][idx] = np.nan
    if np.isfinite(c["normal_minutes"]).any():
        c["normal_minutes"][idx] = 0


def _has_minutes(c: dict[str, np.ndarray]) -> bool:
    return bool(np.isfinite(c["normal_minutes"]).any())


def _run_median(wb: Workbench, mn: str, pol: str) -> float:
    c = wb.cols[(mn, pol)]
    run = wb.running(mn, pol) & (c["flag"] == "N")
    return float(np.median(c["avg_measured"][run]))


# ------------------------------------------------------------------------------ level faults
def exceedance(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _draw(wb, mn, pol, _hours(wb, 1, 8))
    if idx is None:
        return False
    size = wb.rng.uniform(1.1, 2.5)
    wb.set_converted(mn, pol, idx, _lim(wb, mn, pol) * size * wb.rng.uniform(0.9, 1.1, idx.size))
    wb.label("exceedance", mn, pol, idx)
    return True


def masked_exceedance(wb: Workbench, mn: str, pol: str) -> bool:
    """Hours over the limit marked M, C or D; the unmarked hours around them are brought to
    0.3-0.9 of the limit. On an outlet with minute data, part of the hour may stay unmarked."""
    k = _hours(wb, 1, 12)
    idx = _draw(wb, mn, pol, k + 6)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    lim = _lim(wb, mn, pol)
    core, ctx = idx[3:-3], np.r_[idx[:3], idx[-3:]]
    v = wb.compliance(mn, pol)[ctx].astype(float)
    top = wb.rng.uniform(0.3, 0.9) * lim
    wb.set_converted(mn, pol, ctx, v * top / max(float(v.max()), 1e-9))
    size = wb.rng.uniform(1.1, 2.5)
    wb.set_converted(mn, pol, core, lim * size * wb.rng.uniform(0.85, 1.15, core.size))
    flag = str(wb.rng.choice(["M", "M", "M", "C", "D"]))
    meas = c["avg_measured"][core].copy()
    _mark_invalid(c, core, flag)
    if _has_minutes(c) and wb.rng.random() < 0.7:  # only part of each hour is marked
        unmarked = wb.rng.integers(10, 40, core.size)
        c["valid_minutes"][core] = unmarked
        c["normal_minutes"][core] = unmarked
        c["marked_minutes"][core] = 60 - unmarked
        c["minute_mean"][core] = np.round(meas * wb.rng.uniform(0.95, 1.05, core.size), 3)
    wb.label("masked_exceedance", mn, pol, core)
    return True


def missing_data(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _draw(wb, mn, pol, _hours(wb, 2, 24), share=0.8)
    if idx is None:
        return False
    if wb.rng.random() < 0.4:  # the whole logger
        for p in wb.pols(mn):
            wb.cols[(mn, p)]["drop"][idx] = True
        wb.label("missing_data", mn, None, idx)
    else:
        wb.cols[(mn, pol)]["drop"][idx] = True
        wb.label("missing_data", mn, pol, idx)
    return True


def _set_window(
    wb: Workbench,
    mn: str,
    pol: str,
    kind: str,
    hours: tuple[int, int],
    value: Callable[[np.ndarray], np.ndarray],
    *,
    share: float = 1.0,
    flag: str | None = None,
) -> bool:
    idx = _draw(wb, mn, pol, _hours(wb, *hours), share=share)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    wb.set_measured(mn, pol, idx, value(c["avg_measured"][idx].astype(float)))
    if flag:
        c["flag"][idx] = flag
    wb.label(kind, mn, pol, idx)
    return True


def zero_while_operating(wb: Workbench, mn: str, pol: str) -> bool:
    dl = wb.meta(mn, pol)["detection_limit"] or 0.0
    exact = wb.rng.random() < 0.5
    return _set_window(
        wb,
        mn,
        pol,
        "zero_while_operating",
        (3, 24),
        lambda x: np.zeros(x.size) if exact else np.round(wb.rng.uniform(0, 0.5 * dl, x.size), 2),
    )


def negative_value(wb: Workbench, mn: str, pol: str) -> bool:
    level = -wb.rng.uniform(0.03, 0.15) * _span(wb, mn, pol)
    return _set_window(
        wb, mn, pol, "negative_value", (1, 6), lambda x: level * wb.rng.uniform(0.9, 1.1, x.size)
    )


def over_range(wb: Workbench, mn: str, pol: str) -> bool:
    span = _span(wb, mn, pol)
    return _set_window(
        wb,
        mn,
        pol,
        "over_range",
        (1, 4),
        lambda x: np.full(x.size, span * wb.rng.choice([1.0, 1.02])),
        flag="T" if wb.rng.random() < 0.5 else None,
    )


def constant_value(wb: Workbench, mn: str, pol: str) -> bool:
    def frozen(x: np.ndarray) -> np.ndarray:
        v0 = float(x[0])
        jitter = wb.rng.choice([0.0, 0.01, 0.0005 * abs(v0)])
        return v0 + wb.rng.choice([-1, 0, 1], x.size) * jitter

    return _set_window(wb, mn, pol, "constant_value", (8, 48), frozen)


def narrow_band(wb: Workbench, mn: str, pol: str) -> bool:
    span = _span(wb, mn, pol)

    def band(x: np.ndarray) -> np.ndarray:
        w = wb.rng.uniform(0.003, 0.008) * span
        return float(np.median(x)) + wb.rng.uniform(-1, 1, x.size) * w

    if _run_median(wb, mn, pol) < 0.05 * span:
        return False  # too close to zero for a band to differ from the series' own noise
    return _set_window(wb, mn, pol, "narrow_band", (24, 96), band)


def detection_limit_hugging(wb: Workbench, mn: str, pol: str) -> bool:
    dl = wb.meta(mn, pol)["detection_limit"]
    if not dl or _run_median(wb, mn, pol) < 8 * dl:
        return False
    return _set_window(
        wb,
        mn,
        pol,
        "detection_limit_hugging",
        (48, 120),
        lambda x: dl * wb.rng.uniform(0.5, 1.8, x.size),
        share=0.6,
    )


def digit_anomaly(wb: Workbench, mn: str, pol: str) -> bool:
    if _run_median(wb, mn, pol) < 5.0:
        return False  # whole numbers of a value near 1 mg/m3 would be a step, not heaping
    return _set_window(wb, mn, pol, "digit_anomaly", (72, 168), np.round, share=0.5)


# ------------------------------------------------------------------------------ distribution
def _period(wb: Workbench, mn: str, pol: str, lo_days: int, hi_days: int) -> np.ndarray | None:
    return _draw(wb, mn, pol, 24 * _hours(wb, lo_days, hi_days), share=0.5, margin=24)


def bunching_below_limit(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _period(wb, mn, pol, 21, 30)
    if idx is None:
        return False
    lim = _lim(wb, mn, pol)
    run = wb.running(mn, pol)[idx] & (wb.cols[(mn, pol)]["flag"][idx] == "N")
    v = wb.compliance(mn, pol)[idx].astype(float)
    q = wb.rng.uniform(60, 80)
    lo, hi = wb.rng.uniform(0.86, 0.9), wb.rng.uniform(0.97, 0.995)
    scaled = v * (0.93 * lim / np.percentile(v[run], q))
    over = run & (scaled >= lo * lim)
    scaled[over] = wb.rng.uniform(lo, hi, int(over.sum())) * lim
    wb.set_converted(mn, pol, idx[run], scaled[run])
    wb.label("bunching_below_limit", mn, pol, idx[run])
    return True


def capped_value(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _period(wb, mn, pol, 14, 28)
    if idx is None:
        return False
    lim = _lim(wb, mn, pol)
    run = wb.running(mn, pol)[idx] & (wb.cols[(mn, pol)]["flag"][idx] == "N")
    v = wb.compliance(mn, pol)[idx].astype(float)
    cap = round(wb.rng.uniform(0.85, 0.98) * lim, int(wb.rng.choice([1, 2])))
    scaled = np.minimum(v * (cap / np.percentile(v[run], wb.rng.uniform(80, 92))), cap)
    wb.set_converted(mn, pol, idx[run], scaled[run])
    wb.compliance(mn, pol)[idx[run & (scaled >= cap)]] = cap  # the DAS writes the cap itself
    wb.label("capped_value", mn, pol, idx[run])
    return True


# ------------------------------------------------------------------------------ level shifts
def _shift(
    wb: Workbench, mn: str, pol: str, kind: str, edit: Callable[[np.ndarray, float], np.ndarray]
) -> bool:
    idx = _draw(wb, mn, pol, 24 * _hours(wb, 3, 10), share=0.5)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    run = wb.running(mn, pol)[idx] & (c["flag"][idx] == "N")
    x = c["avg_measured"][idx].astype(float)
    med = float(np.median(x[run]))
    wb.set_measured(mn, pol, idx[run], edit(x[run], med))
    wb.label(kind, mn, pol, idx)
    return True


def step_change(wb: Workbench, mn: str, pol: str) -> bool:
    size = wb.rng.uniform(0.35, 0.7) * wb.rng.choice([-1, 1])
    return _shift(wb, mn, pol, "step_change", lambda x, med: np.maximum(x + size * med, 0.1 * med))


def rescaled_signal(wb: Workbench, mn: str, pol: str) -> bool:
    k = wb.rng.uniform(0.35, 0.7)
    return _shift(wb, mn, pol, "rescaled_signal", lambda x, med: x * k)


# ------------------------------------------------------------------------------ device faults
def _flue(wb: Workbench, mn: str) -> bool:
    p0 = wb.pols(mn)[0]
    return float(np.median(wb.cols[(mn, p0)]["o2"][wb.running(mn, p0)])) < 18.0


def _device(
    wb: Workbench,
    mn: str,
    kind: str,
    hours: int,
    edit: Callable[[dict[str, np.ndarray], np.ndarray], None],
) -> bool:
    p0 = wb.pols(mn)[0]
    if not _flue(wb, mn):
        return False
    idx = _draw(wb, mn, p0, hours, share=0.6)
    if idx is None:
        return False
    on = idx[wb.running(mn, p0)[idx]]
    for p in wb.pols(mn):
        edit(wb.cols[(mn, p)], on)
        wb.recompute(mn, p, on)
    wb.label(kind, mn, None, idx)
    return True


def o2_manipulation(wb: Workbench, mn: str, pol: str) -> bool:
    ref = wb.meta(mn, pol)["reference_o2"]
    if ref is None:
        return False
    pinned = wb.rng.random() < 0.25
    drop = wb.rng.uniform(1.5, 4.0)
    noise = wb.rng.normal(0, 0.08, 10_000)

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        if pinned:
            c["o2"][i] = np.round(ref + noise[: i.size], 2)
        else:
            c["o2"][i] = np.round(np.maximum(c["o2"][i] - drop, 1.0), 2)

    o2 = wb.cols[(mn, pol)]["o2"][wb.running(mn, pol)]
    if not pinned and float(np.median(o2)) - drop < 2.0:
        return False
    if pinned and float(np.median(o2)) - ref < 1.5:
        return False  # already at the reference: pinning changes nothing
    return _device(wb, mn, "o2_manipulation", 24 * _hours(wb, 3, 7), edit)


def dilution(wb: Workbench, mn: str, pol: str) -> bool:
    d = wb.rng.uniform(0.15, 0.45)

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        c["o2"][i] = np.round(c["o2"][i] * (1 - d) + 20.9 * d, 2)
        c["avg_measured"][i] = c["avg_measured"][i] * (1 - d)

    return _device(wb, mn, "dilution", 24 * _hours(wb, 3, 7), edit)


def flow_load_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    factor = wb.rng.uniform(0.5, 0.75)
    flat = wb.rng.random() < 0.3

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        if flat:
            level = float(np.median(c["flow_m3_s"][i])) * factor
            c["flow_m3_s"][i] = np.round(level * (1 + 0.004 * np.sin(np.arange(i.size))), 3)
        else:
            c["flow_m3_s"][i] = np.round(c["flow_m3_s"][i] * factor, 3)

    return _device(wb, mn, "flow_load_inconsistency", 24 * _hours(wb, 3, 7), edit)


def cross_sensor_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    blocked = len(wb.pols(mn)) >= 3 and wb.rng.random() < 0.3
    keep = wb.rng.uniform(0.02, 0.1) if not blocked else wb.rng.uniform(0.05, 0.2)
    noise = wb.rng.normal(0, 0.05, 10_000)

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        if not blocked:  # probe pulled out into ambient air
            c["o2"][i] = np.round(np.clip(20.75 + noise[: i.size], 20.5, 20.95), 2)
        c["avg_measured"][i] = c["avg_measured"][i] * keep

    return _device(wb, mn, "cross_sensor_inconsistency", _hours(wb, 3, 12), edit)


def arithmetic_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _draw(wb, mn, pol, _hours(wb, 6, 48))
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    ref = wb.meta(mn, pol)["reference_o2"]
    form = wb.rng.choice(["converted", "cou"] if ref is not None else ["cou"])
    if form == "converted":
        c["avg_converted"][idx] = np.round(c["avg_converted"][idx] * wb.rng.uniform(0.6, 0.85), 2)
    else:
        c["mass_kg"][idx] = np.round(c["mass_kg"][idx] * wb.rng.uniform(0.5, 0.8), 5)
    wb.label("arithmetic_inconsistency", mn, pol, idx)
    return True


# ------------------------------------------------------------------------------ marks and gaps
def _routine_hour(c: dict[str, np.ndarray]) -> int | None:
    t = c["hour_start"]
    marked = [t[i].hour for i in np.flatnonzero(np.isin(c["flag"], ["C", "M"]))]
    if not marked:
        return None
    hours, counts = np.unique(marked, return_counts=True)
    return int(hours[int(np.argmax(counts))])


def _daily_peaks(wb: Workbench, mn: str, pol: str, days: int, per_day: int) -> list[np.ndarray]:
    """The top `per_day` running hours (consecutive around the peak) of `days` days in a row,
    never at the outlet's routine calibration hour."""
    c = wb.cols[(mn, pol)]
    t = c["hour_start"]
    run = wb.running(mn, pol) & (c["flag"] == "N")
    v = np.where(run, wb.compliance(mn, pol).astype(float), -np.inf)
    routine = _routine_hour(c)
    midnights = [i for i in range(48, t.size - 24 * (days + 2)) if t[i].hour == 0]
    if not midnights:
        return []
    d0 = int(wb.rng.choice(midnights))
    out = []
    for d in range(days):
        day = np.arange(d0 + 24 * d, d0 + 24 * d + 24)
        if run[day].sum() < 4:
            continue
        peak = int(day[int(np.argmax(v[day]))])
        lo = peak - (per_day - 1) // 2
        ep = np.arange(lo, lo + per_day)
        if routine is not None and any(t[i].hour == routine for i in ep):
            continue
        out.append(ep)
    return out


def calibration_timing(wb: Workbench, mn: str, pol: str) -> bool:
    eps = _daily_peaks(wb, mn, pol, _hours(wb, 6, 14), _hours(wb, 1, 2))
    if len(eps) < 5:
        return False
    c = wb.cols[(mn, pol)]
    dl = wb.meta(mn, pol)["detection_limit"] or 1.0
    reading = wb.rng.choice(["zero", "span", "kept"], p=[0.5, 0.25, 0.25])
    span_level = wb.rng.uniform(0.3, 0.8) * _span(wb, mn, pol)
    for ep in eps:
        if reading == "zero":
            wb.set_measured(mn, pol, ep, np.round(wb.rng.uniform(0, 0.6 * dl, ep.size), 2))
        elif reading == "span":
            wb.set_measured(mn, pol, ep, span_level * wb.rng.uniform(0.997, 1.003, ep.size))
        _mark_invalid(c, ep, "C")
    wb.label("calibration_timing", mn, pol, np.r_[eps[0][0], eps[-1][-1]])
    return True


def strategic_gap(wb: Workbench, mn: str, pol: str) -> bool:
    eps = _daily_peaks(wb, mn, pol, _hours(wb, 6, 14), _hours(wb, 1, 4))
    if len(eps) < 5:
        return False
    for ep in eps:
        wb.cols[(mn, pol)]["drop"][ep] = True
    wb.label("strategic_gap", mn, pol, np.r_[eps[0][0], eps[-1][-1]])
    return True


def flag_abuse(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _draw(wb, mn, pol, _hours(wb, 3, 24))
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    c["flag"][idx] = "F" if wb.rng.random() < 0.75 else "S"
    wb.label("flag_abuse", mn, pol, idx)
    return True


# ------------------------------------------------------------------------------ patterns
def copy_paste(wb: Workbench, mn: str, pol: str) -> bool:
    c = wb.cols[(mn, pol)]
    t = c["hour_start"]
    run = wb.running(mn, pol)
    ndays = _hours(wb, 1, 3)
    lag = _hours(wb, 1, 14)
    # a working day pasted over a working day
    midnights = [
        i
        for i in range(24 * (lag + 1), t.size - 24 * (ndays + 1))
        if t[i].hour == 0
        and run[i : i + 24 * ndays].sum() >= 8 * ndays
        and run[i - 24 * lag : i - 24 * lag + 24 * ndays].sum() >= 8 * ndays
    ]
    if not midnights:
        return False
    d = int(wb.rng.choice(midnights))
    dst = np.arange(d, d + 24 * ndays)
    src = dst - 24 * lag
    for k in ("avg_measured", "avg_converted", "mass_kg", "minute_mean"):
        c[k][dst] = c[k][src]  # the concentrations only: today's O2 and flow stay
    wb.label("copy_paste", mn, pol, dst)
    return True


def periodic_pattern(wb: Workbench, mn: str, pol: str) -> bool:
    """A profile of one to four days, cut from the series itself, written over 6-14 days."""
    period = 24 * _hours(wb, 1, 4)
    idx = _draw(wb, mn, pol, 24 * _hours(wb, 6, 14), share=0.5, margin=period + 24)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    src = c["avg_measured"][idx[0] - period : idx[0]].astype(float)
    run_src = wb.running(mn, pol)[idx[0] - period : idx[0]]
    if run_src.mean() < 0.5:
        return False
    fill = float(np.median(src[run_src]))
    src = np.where(run_src, src, fill)
    if np.std(src) < 0.08 * max(float(np.mean(src)), 1e-9):
        return False  # nothing to repeat: a flat profile is a narrow band
    noise = wb.rng.uniform(0.005, 0.03)
    prog = np.resize(src, idx.size) * (1 + wb.rng.normal(0, noise, idx.size))
    run = wb.running(mn, pol)[idx] & (c["flag"][idx] == "N")
    wb.set_measured(mn, pol, idx[run], prog[run])
    wb.label("periodic_pattern", mn, pol, idx)
    return True


def reference_disagreement(wb: Workbench, mn: str, pol: str) -> bool:
    idx = _draw(wb, mn, pol, 24)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    a = _hours(wb, 6, 14)
    test = idx[a : a + _hours(wb, 2, 4)]
    truth = float(np.mean(wb.compliance(mn, pol)[test]))
    factor = wb.rng.uniform(0.35, 0.65)
    tol = {"a34013": 5.0, "a21026": 17.1, "a21002": 12.3}.get(pol, 10.0)
    if truth * (1 - factor) < 1.5 * tol:
        return False  # within HJ 75's absolute band: not a disagreement an inspector could show
    wb.set_measured(mn, pol, idx, c["avg_measured"][idx] * factor)
    wb.stack_tests.append(
        {
            "mn": mn,
            "pollutant_code": pol,
            "start_time": c["hour_start"][test[0]],
            "end_time": c["hour_start"][test[-1]] + timedelta(minutes=59),
            "reference_mg_m3": truth,
        }
    )
    wb.label("reference_disagreement", mn, pol, test)
    return True


def fingerprint_drift(wb: Workbench, mn: str, pol: str) -> bool:
    """5-10 days that are not this outlet's: a peer outlet's values from other days, or values
    from a generator with this outlet's level and spread, written over the running hours."""
    c = wb.cols[(mn, pol)]
    idx = _draw(wb, mn, pol, 24 * _hours(wb, 5, 10), share=0.6, margin=24 * 7)
    if idx is None:
        return False
    run = wb.running(mn, pol)[idx] & (c["flag"][idx] == "N")
    x = c["avg_measured"][idx].astype(float)
    med = float(np.median(x[run]))
    spread = float(np.std(np.log(np.maximum(x[run], 1e-6))))
    donors = [m for (m, p) in wb.cols if p == pol and m != mn]
    if donors and wb.rng.random() < 0.6:
        dm = str(wb.rng.choice(donors))
        dv = wb.cols[(dm, pol)]["avg_measured"][wb.running(dm, pol)].astype(float)
        if dv.size < run.sum() + 48:
            return False
        off = int(wb.rng.integers(0, dv.size - run.sum()))
        src = dv[off : off + run.sum()]
        new = src / max(float(np.median(src)), 1e-6) * med
    else:
        ar = np.zeros(int(run.sum()))
        e = wb.rng.normal(0, 1, ar.size)
        for i in range(1, ar.size):
            ar[i] = 0.7 * ar[i - 1] + e[i] * np.sqrt(1 - 0.49)
        new = med * np.exp(spread * ar)
    wb.set_measured(mn, pol, idx[run], new)
    wb.label("fingerprint_drift", mn, pol, idx)
    return True


CASES = {
    f.__name__: f
    for f in (
        exceedance,
        masked_exceedance,
        missing_data,
        zero_while_operating,
        negative_value,
        over_range,
        constant_value,
        narrow_band,
        detection_limit_hugging,
        bunching_below_limit,
        capped_value,
        digit_anomaly,
        step_change,
        rescaled_signal,
        o2_manipulation,
        dilution,
        arithmetic_inconsistency,
        flow_load_inconsistency,
        cross_sensor_inconsistency,
        calibration_timing,
        flag_abuse,
        strategic_gap,
        copy_paste,
        periodic_pattern,
        reference_disagreement,
        fingerprint_drift,
    )
}
