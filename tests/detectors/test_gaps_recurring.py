"""Rows of one series gone day after day at wandering clock hours while the outlet runs, each
over the upper half of its day: no outage does that (an outage takes every channel, at random
times), so the run is reported as a strategic gap even where the values around each gap say
little on their own (a noisy series whose daily peak is a noise spike). Hours sent but invalid
recur daily on many outlets (lost minutes) and are not judged this way; nor are gaps over the
low hours of their days."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from tests.detectors.shift_series import boiler_series

DAYS = 42
GAP_DAYS = (20, 21, 22, 24, 25, 26, 27)  # one day skipped


def _plant(where: str, sent: bool = False) -> Series:
    """A kiln read as autocorrelated noise around a flat level (no daily cycle); on the gap days
    two or three hours around the day's highest hour (`where="peak"`) or its lowest (`"low"`)
    are missing."""
    rng = np.random.default_rng(5)
    n = 24 * DAYS
    t0 = datetime(2024, 3, 4)
    noise = np.zeros(n)
    for i in range(1, n):  # AR(1): an hour remembers the last
        noise[i] = 0.7 * noise[i - 1] + rng.normal(0, 0.06)
    value = 7.0 * np.exp(noise)
    gone = np.zeros(n, bool)
    for d in GAP_DAYS:
        day = value[24 * d : 24 * d + 24]
        at = 24 * d + int(np.argmax(day) if where == "peak" else np.argmin(day))
        width = 2 + d % 2
        lo = min(max(at - width // 2, 24 * d), 24 * d + 24 - width)
        gone[lo : lo + width] = True
    measured = np.where(gone & ~sent, np.nan, value)
    ones = np.ones(n)
    return Series(
        mn="MN0020",
        pollutant_code="a34013",
        times=[t0 + timedelta(hours=i) for i in range(n)],
        measured=measured,
        converted=measured,
        o2=np.where(gone & ~sent, np.nan, 12.0 + rng.normal(0, 0.2, n)),
        flow=np.where(gone & ~sent, np.nan, 23.0 * rng.uniform(0.97, 1.03, n)),
        temp=120 * ones,
        valid=~gone,
        present=~gone | sent,
        flag=np.full(n, "N"),
        marked_minutes=np.zeros(n),
        state=np.full(n, "running"),
        flow_vote=ones,
        temp_vote=ones,
        limit=30.0,
        span=100.0,
        detection_limit=0.5,
        reference_o2=None,
        source_kind="kiln",
        o2_informative=True,
    )


def _found(s: Series) -> list[dict]:
    fb = FindingsBuilder("py.strategic_gap")
    marks.strategic_gap(s, [s], load_config(), fb)
    return fb.frame().to_dicts()


def test_rows_gone_day_after_day_over_the_days_peaks() -> None:
    s = _plant("peak")
    (f,) = _found(s)
    assert f["anomaly_type"] == "strategic_gap"
    assert "day after day" in f["evidence"] and "absent" in f["evidence"]
    assert s.times[24 * GAP_DAYS[0]] <= f["start_time"] <= f["end_time"]
    assert f["end_time"] < s.times[24 * (GAP_DAYS[-1] + 1)]


def test_hours_sent_but_invalid_day_after_day_are_not_judged_as_a_run() -> None:
    assert _found(_plant("peak", sent=True)) == []


def test_rows_gone_over_the_days_low_hours_are_not_reported() -> None:
    assert _found(_plant("low")) == []


def test_a_daily_run_may_skip_a_day_when_asked() -> None:
    s = _plant("peak")
    eps = [(24 * d + d % 5, 24 * d + d % 5) for d in GAP_DAYS]
    assert marks.daily_run(s, eps, 5, 3) == []  # 24-27: four days in a row, too few
    assert marks.daily_run(s, eps, 5, 3, max_step_days=2) == eps


def test_a_run_goes_on_over_two_operating_days_without_a_gap() -> None:
    """Gaps over the peaks of six days, two running days skipped in the middle (days whose peak
    was nothing to hide, or a hider's weekend off): one run, at the thresholds' step."""
    s = _plant("peak")
    days = (20, 21, 22, 25, 26, 27)
    eps = [(24 * d + d % 5, 24 * d + d % 5) for d in days]
    for kind in ("strategic_gap", "calibration_timing"):
        step = int(load_config()[kind]["recurring_max_step_days"])
        assert marks.daily_run(s, eps, 5, 3, max_step_days=step) == eps
    assert marks.daily_run(s, eps, 5, 3, max_step_days=2) == []  # 22 to 25: broken


def test_days_the_outlet_never_ran_do_not_break_a_run() -> None:
    """Day 23, skipped by the gaps, is a day the plant stood still: the run goes on over it."""
    s = _plant("peak")
    state = s.state.copy()
    state[24 * 23 : 24 * 24] = "stopped"
    eps = [(24 * d + d % 5, 24 * d + d % 5) for d in GAP_DAYS]
    assert marks.daily_run(replace(s, state=state), eps, 5, 3) == eps
    assert marks.daily_run(s, eps, 5, 3) == []  # it ran that day: the run is broken


def _calibrated_daily(routine: bool) -> Series:
    """A boiler whose load peaks every afternoon (13:00-16:00) and whose analyser is calibrated
    for 9 minutes at 13:00 every day (`routine`); on three days that calibration ran over and
    the hours 13:00-15:00 were sent invalid, and on two others three afternoon hours were."""
    rng = np.random.default_rng(9)
    n = 24 * DAYS
    peak = np.where(np.isin(np.arange(n) % 24, [13, 14, 15, 16]), 1.0, 0.0)
    x = 20.0 * (1 + 0.6 * peak) * np.exp(rng.normal(0, 0.05, n))
    invalid = np.zeros(n, bool)
    for d, at in ((3, 13), (9, 14), (15, 13), (22, 15), (30, 13)):
        invalid[24 * d + at : 24 * d + at + 3] = True
    s = boiler_series(x, 20.0 * (1 + 0.5 * peak), np.ones(n, bool), rng)
    calibrating = routine & (np.arange(n) % 24 == 13)
    return replace(
        s,
        valid=~invalid,
        flag=np.where(invalid, "M", "N"),
        marked_minutes=np.where(invalid, 60.0, np.where(calibrating, 9.0, 0.0)),
    )


def test_invalid_hours_at_the_routine_calibration_hour_are_not_strategic() -> None:
    """Five invalid afternoons are a strategic gap where nothing is calibrated at 13:00; where
    the analyser is calibrated then every day, the three at 13:00 are that calibration running
    over, and the two left are too few to judge."""
    (f,) = _found(_calibrated_daily(routine=False))
    assert f["anomaly_type"] == "strategic_gap"
    assert _found(_calibrated_daily(routine=True)) == []


def test_a_run_none_of_whose_gaps_ranks_high_is_not_reported() -> None:
    """A run judged on its mean rank alone (here about 0.6: each gap at 14:00, where what the
    hours would have read rises through the day) may hold no gap at high emission; the finding
    names those, so there is none to report (and no window to give it)."""
    s = _plant("peak")
    pred = (np.arange(len(s.times)) % 24).astype(float)
    eps = [(24 * d + 14, 24 * d + 14) for d in GAP_DAYS]
    clean = s.usable & np.isfinite(s.compliance)
    cfg = load_config()
    ranks = marks._context_ranks(s, eps, clean, None, pred)
    assert np.mean(ranks) >= 0.5 and max(ranks) < cfg["strategic_gap"]["high_rank"]
    fb = FindingsBuilder("py.strategic_gap")
    assert not marks._judge(
        fb, s, cfg, marks._GAPS, eps, clean, None, 1.0, {}, pred, recurring=True
    )
    assert fb.frame().height == 0
