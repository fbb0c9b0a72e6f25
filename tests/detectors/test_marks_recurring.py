"""Calibration marks day after day at wandering clock hours, each over an hour high in its day:
no schedule makes such marks (a routine calibration keeps its clock hour, maintenance is one
block), so their mean rank is judged on its own (`marks.daily_run`); the same marks over hours
drawn at random are not reported."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.series import Series
from tests.detectors.mark_series import calibration_findings, marked_series

DAYS = 42
MARKED_DAYS = range(20, 30)


def _plant(pick_high: bool, skip: tuple[int, ...] = ()) -> Series:
    """A continuous plant whose daily swing peaks at a clock hour that moves day to day; on ten
    days in a row a zero-gas C mark covers one hour: three hours before the day's peak (an hour
    in the top fifth of its day) or an hour drawn at random."""
    rng = np.random.default_rng(11)
    n = 24 * DAYS
    hours = np.arange(n) % 24
    peak = np.repeat(rng.integers(0, 24, DAYS), 24)
    value = 50 + 12 * np.cos(2 * np.pi * (hours - peak) / 24) + rng.normal(0, 1.5, n)
    flag = np.full(n, "N", dtype=object)
    for d in MARKED_DAYS:
        if d in skip:
            continue
        at = 24 * d + (int(peak[24 * d]) - 3) % 24 if pick_high else 24 * d + int(rng.integers(24))
        flag[at] = "C"
        value[at] = rng.uniform(0.0, 0.3)
    channels = (
        9.0 + rng.normal(0, 0.2, n),
        10.0 * rng.uniform(0.97, 1.03, n),
        120 + rng.normal(0, 1.0, n),
    )
    return marked_series(
        value,
        flag,
        np.full(n, "running"),
        channels,
        mn="MN0010",
        pollutant_code="a21002",
        limit=100.0,
        span=200.0,
        source_kind="boiler",
    )


def test_marks_day_after_day_at_wandering_hours_high_in_their_day() -> None:
    s = _plant(pick_high=True)
    (f,) = calibration_findings(s)
    assert f["anomaly_type"] == "calibration_timing"
    assert "day after day" in f["evidence"]
    assert s.times[24 * MARKED_DAYS[0]] <= f["start_time"] <= f["end_time"]
    assert f["end_time"] < s.times[24 * (MARKED_DAYS[-1] + 1)]


def test_the_same_marks_over_random_hours_are_not_reported() -> None:
    assert calibration_findings(_plant(pick_high=False)) == []


def test_a_daily_run_needs_days_in_a_row_and_wandering_hours() -> None:
    s = _plant(pick_high=True)
    at = [(24 * d + 5, 24 * d + 5) for d in range(20, 28)]  # a fixed clock hour
    assert marks.daily_run(s, at, 5, 3) == []
    wander = [(24 * d + d % 4, 24 * d + d % 4) for d in range(20, 28)]
    assert marks.daily_run(s, wander, 5, 3) == wander
    gappy = [e for i, e in enumerate(wander) if i % 2 == 0]  # every other day
    assert marks.daily_run(s, gappy, 5, 3) == []


def test_a_run_of_marks_may_skip_a_day() -> None:
    """A falsifier skips a day now and then (the peak fell at the routine calibration hour, the
    kiln ran short): no three marked days in a row, still a run."""
    s = _plant(pick_high=True, skip=(23, 26))
    (f,) = calibration_findings(s)
    assert f["anomaly_type"] == "calibration_timing" and "day after day" in f["evidence"]
