"""World A's fault injector: one labelled case per anomaly type over clean hourly frames, for the
benchmark and the tests. Each injection imitates the behaviour in falsification-notes §1.6 / §5
and keeps the DAS arithmetic consistent unless the fault *is* an arithmetic edit (so a case tests
its own detector, not the arithmetic check)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np

from benchmarks.detector_worlds.workbench import Label, Workbench

__all__ = ["CASES", "Label", "Workbench"]


# --------------------------------------------------------------------------------------- cases
def _limit(wb: Workbench, mn: str, pol: str) -> float:
    return float(wb.meta(mn, pol)["limit_mg_m3"])


def _span(wb: Workbench, mn: str, pol: str) -> float:
    return float(wb.meta(mn, pol)["analyzer_range"])


def _window_case(
    wb: Workbench,
    mn: str,
    pol: str,
    anomaly: str,
    hours: int,
    *,
    running_share: float = 1.0,
    eligible: Callable[[], bool] | None = None,
    measured: Callable[[np.ndarray], np.ndarray | float] | None = None,
    converted: Callable[[np.ndarray], np.ndarray] | None = None,
    flag: str | None = None,
    drop: bool = False,
) -> bool:
    """The common case shape: draw a window of `hours`, rewrite it and label it.

    `measured`/`converted` map the window's current measured/compliance values to new ones (the DAS
    arithmetic is kept consistent); `flag` marks the window, `drop` removes its rows. `eligible` is
    asked only after the draw, so the random stream is consumed the same whether or not it holds.
    The callbacks read the outlet's metadata themselves, so nothing is looked up before the draw.
    """
    idx = wb.window(mn, pol, hours, running_share)
    if idx is None or (eligible is not None and not eligible()):
        return False
    c = wb.cols[(mn, pol)]
    if measured is not None:
        wb.set_measured(mn, pol, idx, measured(c["avg_measured"][idx]))
    if converted is not None:
        wb.set_converted(mn, pol, idx, converted(wb.compliance(mn, pol)[idx]))
    if flag is not None:
        c["flag"][idx] = flag
    if drop:
        c["drop"][idx] = True
    wb.label(anomaly, mn, pol, idx)
    return True


def exceedance(wb: Workbench, mn: str, pol: str) -> bool:
    def high(v: np.ndarray) -> np.ndarray:
        return 1.3 * _limit(wb, mn, pol) * wb.rng.uniform(0.95, 1.05, v.size)

    return _window_case(wb, mn, pol, "exceedance", 3, converted=high)


def masked_exceedance(wb: Workbench, mn: str, pol: str) -> bool:
    # not a _window_case: the flag and the label cover only the middle of the window
    idx = wb.window(mn, pol, 5)
    if idx is None:
        return False
    lim = _limit(wb, mn, pol)
    wb.set_converted(mn, pol, idx, lim * np.array([0.9, 1.35, 1.5, 1.4, 0.92]))
    wb.cols[(mn, pol)]["flag"][idx[1:4]] = "M"
    wb.label("masked_exceedance", mn, pol, idx[1:4])
    return True


def missing_data(wb: Workbench, mn: str, pol: str) -> bool:
    return _window_case(wb, mn, pol, "missing_data", 6, drop=True)


def zero_while_operating(wb: Workbench, mn: str, pol: str) -> bool:
    return _window_case(wb, mn, pol, "zero_while_operating", 8, measured=lambda x: 0.0)


def negative_value(wb: Workbench, mn: str, pol: str) -> bool:
    return _window_case(
        wb, mn, pol, "negative_value", 4, measured=lambda x: -0.05 * _span(wb, mn, pol)
    )


def over_range(wb: Workbench, mn: str, pol: str) -> bool:
    return _window_case(
        wb, mn, pol, "over_range", 3, measured=lambda x: _span(wb, mn, pol), flag="T"
    )


def constant_value(wb: Workbench, mn: str, pol: str) -> bool:
    def stuck(x: np.ndarray) -> np.ndarray:  # the window's median with ±1 LSB jitter
        return float(np.median(x)) + wb.rng.choice([-0.01, 0.0, 0.01], x.size)

    return _window_case(wb, mn, pol, "constant_value", 24, measured=stuck)


def narrow_band(wb: Workbench, mn: str, pol: str) -> bool:
    def band(x: np.ndarray) -> np.ndarray:
        span = _span(wb, mn, pol)
        v0 = float(np.median(x))
        # a small oscillation around a fixed value: ±2 % of the level, inside 2 % of span
        wobble = min(0.02 * v0, 0.008 * span)
        return v0 + wb.rng.uniform(-1, 1, x.size) * wobble

    return _window_case(wb, mn, pol, "narrow_band", 72, measured=band)


def detection_limit_hugging(wb: Workbench, mn: str, pol: str) -> bool:
    def dl() -> float | None:
        return wb.meta(mn, pol)["detection_limit"]

    def can_fake() -> bool:
        if not dl():
            return False
        # an outlet that always emits near its detection limit cannot fake it
        run = wb.running(mn, pol)
        return not np.median(wb.cols[(mn, pol)]["avg_measured"][run]) < 8 * dl()

    return _window_case(
        wb,
        mn,
        pol,
        "detection_limit_hugging",
        72,
        eligible=can_fake,
        measured=lambda x: dl() * wb.rng.uniform(0.6, 1.6, x.size),
    )


def _month(wb: Workbench, mn: str, pol: str) -> np.ndarray:
    """Grid indices of the calendar month with the most hours (detectors judge outlet-months)."""
    t = wb.cols[(mn, pol)]["hour_start"]
    keys = np.array([x.year * 12 + x.month for x in t])
    vals, counts = np.unique(keys, return_counts=True)
    return np.flatnonzero(keys == vals[int(np.argmax(counts))])


def _month_compliance(
    wb: Workbench, mn: str, pol: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The busiest month's grid indices, its running mask, compliance values and the limit: what a
    month-long reshaping of the compliance distribution starts from."""
    idx = _month(wb, mn, pol)
    lim = _limit(wb, mn, pol)
    run = wb.running(mn, pol)[idx]
    v = wb.compliance(mn, pol)[idx].astype(float)
    return idx, run, v, lim


def bunching_below_limit(wb: Workbench, mn: str, pol: str) -> bool:
    idx, run, v, lim = _month_compliance(wb, mn, pol)
    p70 = np.percentile(v[run], 65)
    scaled = v * (0.93 * lim / p70)
    hi = run & (scaled >= 0.9 * lim)
    scaled[hi] = wb.rng.uniform(0.9, 0.99, int(hi.sum())) * lim
    wb.set_converted(mn, pol, idx[run], scaled[run])
    wb.label("bunching_below_limit", mn, pol, idx[run])
    return True


def capped_value(wb: Workbench, mn: str, pol: str) -> bool:
    idx, run, v, lim = _month_compliance(wb, mn, pol)
    scaled = v * (0.95 * lim / np.percentile(v[run], 88))
    cap = round(0.95 * lim, 1)
    scaled = np.minimum(scaled, cap)
    wb.set_converted(mn, pol, idx[run], scaled[run])
    wb.compliance(mn, pol)[idx[run & (scaled >= cap)]] = cap  # the DAS writes the cap itself
    wb.label("capped_value", mn, pol, idx[run])
    return True


def digit_anomaly(wb: Workbench, mn: str, pol: str) -> bool:
    return _window_case(wb, mn, pol, "digit_anomaly", 96, running_share=0.5, measured=np.round)


def _scale(
    wb: Workbench, mn: str, pol: str, factor: float | None, offset: float | None, hours: int, t: str
) -> bool:
    idx = wb.window(mn, pol, hours, running_share=0.5)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    run = wb.running(mn, pol)[idx]
    x = c["avg_measured"][idx]
    med = float(np.median(x[run]))
    new = x * factor if factor is not None else np.maximum(x + offset * med, 0.1 * med)
    wb.set_measured(mn, pol, idx[run], new[run])
    wb.label(t, mn, pol, idx)
    return True


def step_change(wb: Workbench, mn: str, pol: str) -> bool:
    return _scale(wb, mn, pol, None, -0.5, 24 * 6, "step_change")


def rescaled_signal(wb: Workbench, mn: str, pol: str) -> bool:
    return _scale(wb, mn, pol, 0.55, None, 24 * 6, "rescaled_signal")


def _flue_o2(wb: Workbench, mn: str) -> bool:
    """The outlet's running O2 is well below ambient (not a dust/VOC outlet diluted with air)."""
    p0 = wb.pols(mn)[0]
    return float(np.median(wb.cols[(mn, p0)]["o2"][wb.running(mn, p0)])) < 18.0


ColumnEdit = Callable[[dict[str, np.ndarray], np.ndarray], None]


def _edit_all_pollutants(wb: Workbench, mn: str, idx: np.ndarray, edit: ColumnEdit) -> None:
    """A device-level fault (O2 probe, flow meter, dilution air) shows in every pollutant of the
    outlet; each one's arithmetic is then recomputed."""
    for p in wb.pols(mn):
        edit(wb.cols[(mn, p)], idx)
        wb.recompute(mn, p, idx)


def _device_case(wb: Workbench, mn: str, anomaly: str, hours: int, edit: ColumnEdit) -> bool:
    """A device-level fault over the running hours of a mostly-running window of a flue-gas outlet
    (checked before the draw), labelled for the whole outlet."""
    p0 = wb.pols(mn)[0]
    if not _flue_o2(wb, mn):
        return False
    idx = wb.window(mn, p0, hours, running_share=0.5)
    if idx is None:
        return False
    _edit_all_pollutants(wb, mn, idx[wb.running(mn, p0)[idx]], edit)
    wb.label(anomaly, mn, None, idx)
    return True


def o2_manipulation(wb: Workbench, mn: str, pol: str) -> bool:
    ref = wb.meta(mn, pol)["reference_o2"]
    if ref is None:
        return False
    c0 = wb.cols[(mn, pol)]
    if float(np.median(c0["o2"][wb.running(mn, pol)])) < 5.0:
        return False  # too little O2 to push down by 3 points

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        c["o2"][i] = np.round(np.maximum(c["o2"][i] - 3.0, 2.0), 2)  # lower O2 shrinks ZsAvg

    return _device_case(wb, mn, "o2_manipulation", 24 * 5, edit)


def dilution(wb: Workbench, mn: str, pol: str) -> bool:
    d = 0.3

    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        c["o2"][i] = np.round(c["o2"][i] * (1 - d) + 20.9 * d, 2)
        c["avg_measured"][i] = c["avg_measured"][i] * (1 - d)

    return _device_case(wb, mn, "dilution", 24 * 5, edit)


def arithmetic_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    if wb.meta(mn, pol)["reference_o2"] is None:
        return False
    idx = wb.window(mn, pol, 12)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    c["avg_converted"][idx] = np.round(c["avg_converted"][idx] * 0.8, 2)  # ZsAvg edited alone
    wb.label("arithmetic_inconsistency", mn, pol, idx)
    return True


def flow_load_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:
        c["flow_m3_s"][i] = np.round(c["flow_m3_s"][i] * 0.6, 3)

    return _device_case(wb, mn, "flow_load_inconsistency", 24 * 6, edit)


def cross_sensor_inconsistency(wb: Workbench, mn: str, pol: str) -> bool:
    def edit(c: dict[str, np.ndarray], i: np.ndarray) -> None:  # probe pulled out into ambient air
        c["o2"][i] = np.round(20.8 + wb.rng.normal(0, 0.04, i.size), 2)
        c["avg_measured"][i] = c["avg_measured"][i] * 0.05

    p0 = wb.pols(mn)[0]
    idx = wb.window(mn, p0, 6)
    if idx is None or not _flue_o2(wb, mn):
        return False
    # unlike _device_case: the O2 check comes after the draw, and every hour of the window is edited
    _edit_all_pollutants(wb, mn, idx, edit)
    wb.label("cross_sensor_inconsistency", mn, None, idx)
    return True


def _top_hours(wb: Workbench, mn: str, pol: str, n: int) -> list[int]:
    """The highest-emission running hours, one per day, in the first month."""
    idx = _month(wb, mn, pol)
    v = np.where(wb.running(mn, pol)[idx], wb.compliance(mn, pol)[idx].astype(float), -np.inf)
    chosen, days = [], set()
    for i in idx[np.argsort(-v)]:
        day = wb.cols[(mn, pol)]["hour_start"][i].date()
        if day in days or i < 4 or i > idx[-1] - 4:
            continue
        chosen.append(int(i))
        days.add(day)
        if len(chosen) == n:
            break
    return sorted(chosen)


def calibration_timing(wb: Workbench, mn: str, pol: str) -> bool:
    hours = _top_hours(wb, mn, pol, 6)
    c = wb.cols[(mn, pol)]
    dl = wb.meta(mn, pol)["detection_limit"] or 1.0
    for h in hours:
        i = np.array([h, h + 1])
        c["flag"][i] = "C"
        c["avg_measured"][i] = np.round(0.5 * dl, 2)  # zero gas on the analyser
        wb.recompute(mn, pol, i)
    wb.label("calibration_timing", mn, pol, np.array([hours[0], hours[-1] + 1]))
    return True


def flag_abuse(wb: Workbench, mn: str, pol: str) -> bool:
    idx = wb.window(mn, pol, 6)
    if idx is None:
        return False
    wb.cols[(mn, pol)]["flag"][idx] = "F"
    wb.label("flag_abuse", mn, pol, idx)
    return True


def strategic_gap(wb: Workbench, mn: str, pol: str) -> bool:
    hours = _top_hours(wb, mn, pol, 6)
    for h in hours:
        wb.cols[(mn, pol)]["drop"][h : h + 3] = True
    wb.label("strategic_gap", mn, pol, np.array([hours[0], hours[-1] + 2]))
    return True


def copy_paste(wb: Workbench, mn: str, pol: str) -> bool:
    """Yesterday-a-week-ago pasted over a running day (both days running most of the time)."""
    c = wb.cols[(mn, pol)]
    t = c["hour_start"]
    run = wb.running(mn, pol)
    midnights = [
        i
        for i in range(24 * 8, t.size - 24)
        if t[i].hour == 0 and run[i : i + 24].sum() >= 8 and run[i - 24 * 7 : i - 24 * 6].sum() >= 8
    ]
    if not midnights:
        return False
    d = int(wb.rng.choice(midnights))
    src, dst = np.arange(d - 24 * 7, d - 24 * 6), np.arange(d, d + 24)
    for k in ("avg_measured", "avg_converted", "mass_kg", "minute_mean"):
        c[k][dst] = c[k][src]
    wb.label("copy_paste", mn, pol, dst)
    return True


def periodic_pattern(wb: Workbench, mn: str, pol: str) -> bool:
    c = wb.cols[(mn, pol)]
    t = c["hour_start"]
    midnights = [i for i in range(24 * 8, t.size - 24 * 10) if t[i].hour == 0]
    if not midnights:
        return False
    d = int(wb.rng.choice(midnights))
    prev = c["avg_measured"][d - 24 * 7 : d].reshape(7, 24)
    profile = np.median(prev, axis=0)
    on = wb.running(mn, pol)[d - 24 * 7 : d].reshape(7, 24).mean(axis=0) > 0.5
    if on.sum() < 6 or np.std(profile[on]) < 0.08 * max(float(np.mean(profile[on])), 1e-9):
        return False  # no daily cycle to programme (a flat profile would be a narrow band)
    idx = np.arange(d, d + 24 * 10)
    run = wb.running(mn, pol)[idx]
    prog = np.tile(profile, 10) * (1 + wb.rng.normal(0, 0.01, idx.size))
    wb.set_measured(mn, pol, idx[run], prog[run])
    wb.label("periodic_pattern", mn, pol, idx)
    return True


def reference_disagreement(wb: Workbench, mn: str, pol: str) -> bool:
    idx = wb.window(mn, pol, 24)
    if idx is None:
        return False
    c = wb.cols[(mn, pol)]
    test = idx[10:13]
    truth = float(np.mean(wb.compliance(mn, pol)[test]))
    if truth < 40.0:
        return False  # below HJ 75's absolute tolerance band a halved reading is within criteria
    wb.set_measured(mn, pol, idx, c["avg_measured"][idx] * 0.5)  # analyser reads low that day
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
    """A week of running values borrowed from another outlet's running hours (reversed in time, so
    foreign to this outlet's load), brought to this outlet's weekly median."""
    donors = [m for (m, p) in wb.cols if p == pol and m != mn]
    c = wb.cols[(mn, pol)]
    if not donors or c["hour_start"].size < 24 * 35:
        return False
    dm = str(wb.rng.choice(donors))
    donor_run = wb.running(dm, pol)
    donor_vals = wb.cols[(dm, pol)]["avg_measured"][donor_run][::-1]
    a = 24 * 7 * int(wb.rng.integers(2, c["hour_start"].size // 168 - 1))
    idx = np.arange(a, a + 168)
    run = wb.running(mn, pol)[idx]
    if donor_vals.size < run.sum() or run.sum() < 48:
        return False
    src = donor_vals[: run.sum()]
    own = np.median(c["avg_measured"][idx][run])
    wb.set_measured(mn, pol, idx[run], src / max(float(np.median(src)), 1e-6) * own)
    wb.label("fingerprint_drift", mn, pol, idx)
    return True


CASES: dict[str, Callable[[Workbench, str, str], bool]] = {
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
