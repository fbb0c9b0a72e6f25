"""Calibration marks placed over a batch plant's highest hour, the last before each day's stop:
each mark runs on into the stop, and only its running hour says what it hid (the hour the plant
is stopping reads a cold, idle stack whatever was hidden)."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.series import Series
from tests.detectors.mark_series import calibration_findings, day_plant_channels, marked_series

DAYS = 40
MARKED_DAYS = range(20, 30)


def _batch_plant() -> Series:
    """Runs from 06:00 to a stop that moves between 14:00 and 21:00 day to day; its load (flow)
    and with it its value climb through each run to the last running hour. On ten days in a row
    a zero-gas C mark covers the last running hour and the hour the plant stops in."""
    rng = np.random.default_rng(5)
    n = 24 * DAYS
    state = np.full(n, "stopped", dtype=object)
    value = np.abs(rng.normal(0.2, 0.1, n))
    flag = np.full(n, "N", dtype=object)
    flow = np.abs(rng.normal(0.2, 0.05, n))
    for d in range(DAYS):
        a, stop = 24 * d + 6, 24 * d + int(rng.integers(14, 22))
        state[a - 1] = "transition"
        state[a:stop] = "running"
        state[stop] = "transition"
        flow[a:stop] = 4 + 0.8 * np.arange(stop - a) + rng.normal(0, 0.2, stop - a)
        flow[stop] = 1.0
        value[a:stop] = 3 * flow[a:stop] + rng.normal(0, 0.8, stop - a)
        if d in MARKED_DAYS:
            flag[stop - 1 : stop + 1] = "C"
            value[stop - 1 : stop + 1] = rng.uniform(0.0, 0.3, 2)
    channels = day_plant_channels(state == "running", flow, rng)
    return marked_series(
        value,
        flag,
        state,
        channels,
        mn="MN0009",
        pollutant_code="a34013",
        limit=30.0,
        span=100.0,
        source_kind="kiln",
    )


def test_marks_running_on_into_a_stop_are_judged_by_their_running_hours() -> None:
    s = _batch_plant()
    (f,) = calibration_findings(s)
    assert f["anomaly_type"] == "calibration_timing"
    assert f["start_time"].date() >= s.times[24 * MARKED_DAYS[0]].date()
    assert f["end_time"].date() <= s.times[24 * MARKED_DAYS[-1]].date()


def test_a_mark_wholly_inside_a_stop_hid_nothing() -> None:
    s = _batch_plant()
    clean = s.usable
    stopped = [(i, i) for i in range(24 * 3, 24 * 3 + 4)]  # 00:00-03:00, stopped
    pred = np.zeros(len(s.times))
    assert all(np.isnan(r) for r in marks._context_ranks(s, stopped, clean, None, pred))
