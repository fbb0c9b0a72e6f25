"""What a mark hid is judged with what its clock hour reads on the series' days: a two-shift
plant reads highest in its first running hour every morning (a start-up), which neither the hour
before (stopped) nor the hour after (settled) shows. Marks laid over that hour day after day sit
at the day's highest emission; those laid at a settled hour do not."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.series import Series
from tests.detectors.mark_series import calibration_findings, day_plant_channels, marked_series

DAYS = 42
MARKED_DAYS = range(20, 30)


def _two_shift_plant(marked_hour: int) -> Series:
    """Runs 07:00-19:00 every day; its first running hour reads three times the settled level,
    with the same flow, O2 and stack temperature as the settled hours (nothing in the channels
    tells it). On ten days in a row a zero-gas C mark covers `marked_hour`."""
    rng = np.random.default_rng(11)
    n = 24 * DAYS
    state = np.full(n, "stopped", dtype=object)
    value = np.abs(rng.normal(0.2, 0.1, n))
    flag = np.full(n, "N", dtype=object)
    for d in range(DAYS):
        a, stop = 24 * d + 7, 24 * d + 19
        state[a - 1] = "transition"
        state[a:stop] = "running"
        state[stop] = "transition"
        value[a:stop] = 10 * np.exp(rng.normal(0, 0.1, stop - a))
        value[a] *= 3
        if d in MARKED_DAYS:
            at = 24 * d + marked_hour
            flag[at] = "C"
            value[at] = rng.uniform(0.0, 0.3)
    running = state == "running"
    flow = np.where(running, 8.0, 0.2) + rng.normal(0, 0.1, n)
    channels = day_plant_channels(running, flow, rng)
    return marked_series(
        value,
        flag,
        state,
        channels,
        mn="MN0011",
        pollutant_code="a21002",
        limit=50.0,
        span=200.0,
        source_kind="boiler",
    )


def test_marks_over_the_start_up_hour_sit_at_the_days_highest_emission() -> None:
    s = _two_shift_plant(marked_hour=7)
    (f,) = calibration_findings(s)
    assert f["anomaly_type"] == "calibration_timing"
    assert f["start_time"].date() >= s.times[24 * MARKED_DAYS[0]].date()
    assert f["end_time"].date() <= s.times[24 * MARKED_DAYS[-1]].date()


def test_marks_at_a_settled_hour_hid_nothing_high() -> None:
    assert calibration_findings(_two_shift_plant(marked_hour=12)) == []


def test_the_clock_hour_profile_reads_the_start_up() -> None:
    s = _two_shift_plant(marked_hour=7)
    logv = np.log(np.maximum(s.compliance, 1e-9))
    profile = marks.clock_hour_profile(s, logv, s.usable)
    at7 = [i for i, t in enumerate(s.times) if t.hour == 7]
    at12 = [i for i, t in enumerate(s.times) if t.hour == 12]
    assert np.allclose(profile[at7], profile[at7[0]])
    assert profile[at7[0]] - profile[at12[0]] > np.log(2.5)
