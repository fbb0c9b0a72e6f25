"""The detectors judge month by month (periods.py): windows, clipping, series cut to a window, and
a month whose window did not change keeping its findings, exactly as judging it again would."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from benchmarks.detector_worlds import faults
from benchmarks.detector_worlds.simulate import outlet_rows, simulate_outlet
from dagster_project.detectors import periods
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import _scratch_rules, _series, judge_by_month
from dagster_project.detectors.findings import FindingsBuilder, anomaly_id
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.series import Series, cut, iter_series
from tests.detectors.conftest import county_specs

H = timedelta(hours=1)
START = datetime(2024, 1, 10)
DAYS = 140  # to 28 May: three windows (January to March, April, May)


def test_each_month_is_judged_with_the_eight_weeks_before_it() -> None:
    wins = periods.windows(datetime(2023, 1, 1), datetime(2023, 12, 31, 23))
    first = datetime(2023, 1, 1)
    # the data begin with January: January and February share the first twelve weeks
    assert wins[0] == periods.Window(
        first, first + periods.MIN_WINDOW - H, first, datetime(2023, 3, 1)
    )
    assert wins[-1] == periods.Window(
        datetime(2023, 12, 1) - periods.HISTORY,
        datetime(2023, 12, 31, 23),
        datetime(2023, 12, 1),
        datetime(2024, 1, 1),
    )
    months = [m for w in wins for m in pl.datetime_range(w.first, w.until, "1mo", eager=True)[:-1]]
    assert months == pl.datetime_range(first, datetime(2023, 12, 1), "1mo", eager=True).to_list()
    assert all(w.start <= w.first and w.end >= w.until - H for w in wins)  # they hold their months
    assert all(w.end == w.until - H for w in wins[1:])  # and none after them


def test_a_short_history_is_one_window_judged_whole() -> None:
    first, last = datetime(2023, 10, 30), datetime(2023, 12, 24, 23)  # eight weeks
    assert periods.windows(first, last) == [
        periods.Window(first, last, datetime(2023, 10, 1), datetime(2024, 1, 1))
    ]


def test_a_new_day_moves_only_the_current_months_window() -> None:
    first, last = datetime(2023, 1, 1), datetime(2023, 12, 14, 23)
    before, after = periods.windows(first, last), periods.windows(first, last + 24 * H)
    assert before[:-1] == after[:-1]
    assert (before[-1].end, after[-1].end) == (last, last + 24 * H)


def _finding(start: datetime, end: datetime) -> dict:
    fb = FindingsBuilder("py.step_rescale")
    fb.report("step_change", "MN1", "a21026", start, end, "shift", 1.0, 0.5)
    return fb.frame().row(0, named=True)


def test_a_finding_is_reported_in_each_month_it_covers_clipped_to_it() -> None:
    w = periods.Window(
        datetime(2023, 12, 6), datetime(2024, 1, 31, 23), datetime(2024, 1, 1), datetime(2024, 2, 1)
    )
    across = _finding(datetime(2023, 12, 25, 5), datetime(2024, 1, 3, 7))
    inside = _finding(datetime(2024, 1, 10), datetime(2024, 1, 12))
    before = _finding(datetime(2023, 12, 10), datetime(2023, 12, 12))
    found = periods.clip(pl.DataFrame([across, inside, before]), w).to_dicts()
    assert [(f["start_time"], f["end_time"]) for f in found] == [
        (datetime(2024, 1, 1), datetime(2024, 1, 3, 7)),
        (inside["start_time"], inside["end_time"]),
    ]
    assert found[0]["anomaly_id"] == anomaly_id(
        "step_change",
        "MN1",
        "a21026",
        datetime(2024, 1, 1),
        datetime(2024, 1, 3, 7),
        "py.step_rescale",
    )
    assert found[0]["evidence"] == across["evidence"]  # what was found, over what it read
    assert found[1]["anomaly_id"] == inside["anomaly_id"]


@pytest.fixture(scope="module")
def months() -> tuple[DetectorInputs, pl.DataFrame]:
    """Four outlets over 140 days with a step change, a copied day and a capped value."""
    specs = county_specs()[:4]
    hourly = pl.concat([simulate_outlet(s, START, DAYS, seed=300 + i) for i, s in enumerate(specs)])
    outlets = pl.concat([outlet_rows(s) for s in specs])
    wb = faults.Workbench.from_frames(hourly, outlets, 11)
    for kind, mn, pol in (
        ("step_change", "MN0001", "a21026"),
        ("copy_paste", "MN0002", "a21002"),
        ("capped_value", "MN0003", "a34013"),
    ):
        assert faults.CASES[kind](wb, mn, pol)
    injected, _ = wb.frames()
    inputs = DetectorInputs(injected, outlets)
    state, _ = _scratch_rules(inputs, load_config())
    return inputs, state


def _sorted(f: pl.DataFrame) -> pl.DataFrame:
    return f.sort("anomaly_id", "detector")


def test_a_series_cut_to_a_window_is_the_series_of_the_windows_rows(months) -> None:
    inputs, state = months
    p25 = load_config()["sql"]["anomaly_o2_informative_p25"]
    whole = _series(inputs, state, p25, None)
    for w in periods.windows(START, inputs.hourly["hour_start"].max()):
        alone = list(
            iter_series(DetectorInputs(w.hours(inputs.hourly), inputs.outlets), w.hours(state), p25)
        )
        cuts = [c for s in whole if (c := cut(s, w.start, w.end)) is not None]
        assert [(s.mn, s.pollutant_code) for s in cuts] == [(s.mn, s.pollutant_code) for s in alone]
        for a, b in zip(cuts, alone, strict=True):
            for f in fields(Series):
                x, y = getattr(a, f.name), getattr(b, f.name)
                if isinstance(x, np.ndarray):
                    np.testing.assert_array_equal(x, y, err_msg=f.name)
                else:
                    assert x == y, f.name


def test_months_kept_from_last_night_find_what_judging_them_again_finds(months) -> None:
    inputs, state = months
    cfg = load_config()
    full = judge_by_month(inputs, state, cfg)
    assert (full.judged, full.kept) == (3, 0)
    assert {"step_change", "copy_paste", "capped_value"} <= set(full.findings["anomaly_type"])

    last_day = inputs.hourly["hour_start"].max().replace(hour=0)
    before = pl.col("hour_start") < last_day
    yesterday = judge_by_month(
        DetectorInputs(inputs.hourly.filter(before), inputs.outlets), state.filter(before), cfg
    )
    tonight = judge_by_month(inputs, state, cfg, kept=yesterday.months)
    assert (tonight.judged, tonight.kept) == (1, 2)  # May only
    assert _sorted(tonight.findings).equals(_sorted(full.findings))
    assert _sorted(tonight.months.findings).equals(_sorted(full.months.findings))

    # a late correction in February: the two windows holding it are judged again, not May's
    late = (pl.col("mn") == "MN0001") & (pl.col("hour_start") == datetime(2024, 2, 15, 10))
    corrected = inputs.hourly.with_columns(
        pl.when(late)
        .then(pl.col("avg_measured") * 3)
        .otherwise("avg_measured")
        .alias("avg_measured")
    )
    again = judge_by_month(DetectorInputs(corrected, inputs.outlets), state, cfg, kept=full.months)
    assert (again.judged, again.kept) == (2, 1)
    fresh = judge_by_month(DetectorInputs(corrected, inputs.outlets), state, cfg)
    assert _sorted(again.findings).equals(_sorted(fresh.findings))


def test_months_judged_in_worker_processes_find_what_one_process_finds(months) -> None:
    inputs, state = months
    cfg = load_config()
    alone = judge_by_month(inputs, state, cfg, workers=1)
    shared = judge_by_month(inputs, state, cfg, workers=2)
    assert _sorted(shared.findings).equals(_sorted(alone.findings))
