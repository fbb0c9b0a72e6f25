"""Each outlet × pollutant becomes one series on its own hourly grid, from its first to its last
hour: absent hours are there (not present, NaN values), the device's operating state is read
hour by hour, and the series come in order of MN and pollutant, whatever the input's order."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from dagster_project.detectors.inputs import HOURLY_SCHEMA, OUTLET_POLLUTANT_SCHEMA, DetectorInputs
from dagster_project.detectors.series import Series, iter_series, positions_on

T0 = datetime(2024, 3, 1)


def _hourly(rows: list[tuple[str, str, int, float]]) -> pl.DataFrame:
    data = [
        {
            "mn": mn,
            "pollutant_code": pol,
            "hour_start": T0 + timedelta(hours=h),
            "avg_measured": v,
            "o2": 9.0,
            "flow_m3_s": 10.0,
            "temp_c": 120.0,
            "is_valid": True,
            "flag": "N",
        }
        for mn, pol, h, v in rows
    ]
    return (
        pl.DataFrame(data)
        .with_columns(
            [pl.lit(None, dtype).alias(c) for c, dtype in HOURLY_SCHEMA.items() if c not in data[0]]
        )
        .select([pl.col(c).cast(t) for c, t in HOURLY_SCHEMA.items()])
    )


def test_each_series_spans_its_own_hours_with_the_absent_ones_and_the_devices_state() -> None:
    hourly = _hourly(
        [
            ("B", "a21026", 5, 50.0),
            ("A", "a21002", 0, 80.0),
            ("B", "a21026", 3, 40.0),
            ("A", "a21002", 4, 82.0),
            ("A", "a34013", 2, 5.0),
            ("A", "a34013", 3, 6.0),
        ]
    )
    outlets = pl.DataFrame(schema=OUTLET_POLLUTANT_SCHEMA)
    state = pl.DataFrame(
        {
            "mn": ["A"] * 5,
            "hour_start": [T0 + timedelta(hours=h) for h in range(5)],
            "state": ["running", "running", "stopped", "running", "running"],
            "flow_vote": [1.0] * 5,
            "temp_vote": [1.0] * 5,
            "o2_p25": [8.0] * 5,
        }
    ).with_columns(pl.col("hour_start").cast(pl.Datetime("us")))
    series = list(iter_series(DetectorInputs(hourly, outlets, pl.DataFrame()), state, 15.0))

    assert [(s.mn, s.pollutant_code) for s in series] == [
        ("A", "a21002"),
        ("A", "a34013"),
        ("B", "a21026"),
    ]
    a_nox, a_pm, b = series
    assert b.times == [T0 + timedelta(hours=h) for h in (3, 4, 5)]
    assert b.present.tolist() == [True, False, True]
    assert np.isnan(b.measured[1]) and b.measured[[0, 2]].tolist() == [40.0, 50.0]
    assert b.state.tolist() == ["unknown"] * 3  # no state known for B
    assert a_nox.times == [T0 + timedelta(hours=h) for h in range(5)]
    assert a_nox.present.tolist() == [True, False, False, False, True]
    assert a_nox.state.tolist() == ["running", "running", "stopped", "running", "running"]
    assert a_pm.state.tolist() == ["stopped", "running"]
    assert a_nox.o2_informative and not b.o2_informative


def _on_grid(start: datetime, hours: int) -> Series:
    """A series of `hours` hours from `start` (its values do not matter here)."""
    nan = np.full(hours, np.nan)
    return Series(
        mn="A",
        pollutant_code="a21026",
        times=[start + timedelta(hours=h) for h in range(hours)],
        measured=nan,
        converted=nan,
        o2=nan,
        flow=nan,
        temp=nan,
        valid=np.zeros(hours, bool),
        present=np.zeros(hours, bool),
        flag=np.full(hours, "N"),
        marked_minutes=nan,
        state=np.full(hours, "running"),
        flow_vote=nan,
        temp_vote=nan,
        limit=None,
        span=None,
        detection_limit=None,
        reference_o2=None,
        source_kind=None,
        o2_informative=False,
    )


def test_hours_of_one_grid_are_found_on_another_by_their_offset() -> None:
    own = _on_grid(T0, 5)
    by_hour = {t: i for i, t in enumerate(own.times)}
    for other in (
        _on_grid(T0 + timedelta(hours=3), 4),  # overlaps the end
        _on_grid(T0 - timedelta(hours=2), 3),  # overlaps the start
        _on_grid(T0 - timedelta(hours=1), 8),  # covers it
        _on_grid(T0 + timedelta(hours=9), 2),  # after it
        _on_grid(T0 + timedelta(minutes=30), 3),  # half an hour off: no hour in common
    ):
        expected = [by_hour.get(t, -1) for t in other.times]
        assert positions_on(own, other).tolist() == expected


def test_inputs_come_in_key_order_whatever_order_they_arrive_in() -> None:
    """Rows out of order anywhere (an hour, a pollutant, an MN, a null key) are sorted; rows in
    order are kept as they are (a window's hours, a shard's devices)."""
    rows = [("A", "a21002", 0, 1.0), ("A", "a21002", 1, 2.0), ("A", "a34013", 0, 3.0)]
    rows += [("B", "a21002", 0, 4.0)]
    ordered = _hourly(rows)
    outlets = pl.DataFrame(schema=OUTLET_POLLUTANT_SCHEMA)
    assert DetectorInputs(ordered, outlets).hourly.equals(ordered)
    swaps = [(0, 1), (1, 2), (2, 3)]  # an hour, a pollutant, an MN out of order
    for i, j in swaps:
        shuffled = list(rows)
        shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
        assert DetectorInputs(_hourly(shuffled), outlets).hourly.equals(ordered), (i, j)
    twice = _hourly([rows[0], rows[0], rows[1]])  # a repeated key is no order
    assert DetectorInputs(twice, outlets).hourly.get_column("avg_measured").to_list() == [1, 1, 2]
    last_null = ordered.with_columns(  # the rest in order: a null key sorts first
        pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("mn")).alias("mn")
    )
    got = DetectorInputs(last_null, outlets).hourly
    assert got.get_column("avg_measured").to_list() == [4, 1, 2, 3]
