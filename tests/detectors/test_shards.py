"""The devices judged in worker processes find exactly what one process finds."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from benchmarks.detector_worlds import faults
from dagster_project.detectors.engine import _device_job, detect_frames
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.shards import (
    MIN_PARALLEL_HOURS,
    WorkerFailed,
    default_workers,
    device_frames,
    device_groups,
    run_sharded,
)

# faults on several outlets, so that every worker has findings of several kinds to return
INJECTED = [
    ("step_change", "MN0001", "a21026"),
    ("copy_paste", "MN0002", "a21026"),
    ("o2_manipulation", "MN0004", "a21026"),
    ("periodic_pattern", "MN0005", "a21002"),
    ("narrow_band", "MN0006", "a34013"),
    ("masked_exceedance", "MN0007", "a34013"),
]


@pytest.fixture(scope="module")
def county(clean_county) -> DetectorInputs:
    hourly, outlets = clean_county
    wb = faults.Workbench.from_frames(hourly, outlets, 5)
    for kind, mn, pol in INJECTED:
        faults.CASES[kind](wb, mn, pol)
    injected, _ = wb.frames()
    return DetectorInputs(_copy_day(injected, COPIED_DAY, "MN0001", "MN0006", "a21002"), outlets)


COPIED_DAY = datetime(2024, 3, 12)


def _copy_day(hourly: pl.DataFrame, day: datetime, src: str, dst: str, pol: str) -> pl.DataFrame:
    """`dst`'s values of `pol` on `day` replaced by `src`'s (another device, another worker)."""
    on_day = pl.col("hour_start").dt.truncate("1d") == day
    source = hourly.filter((pl.col("mn") == src) & (pl.col("pollutant_code") == pol) & on_day)
    copied = source.select("hour_start", pl.col("avg_measured").alias("_copied"))
    target = (pl.col("mn") == dst) & (pl.col("pollutant_code") == pol)
    return (
        hourly.join(copied, on="hour_start", how="left")
        .with_columns(
            pl.when(target & pl.col("_copied").is_not_null())
            .then(pl.col("_copied"))
            .otherwise(pl.col("avg_measured"))
            .alias("avg_measured")
        )
        .drop("_copied")
    )


def test_workers_find_exactly_what_one_process_finds(county) -> None:
    alone = detect_frames(county, workers=1)
    shared = detect_frames(county, workers=3)
    assert alone.height >= len(INJECTED)
    assert alone["mn"].n_unique() >= 5
    # copy_paste compares devices: a day copied from a device another worker judges is found
    groups = device_groups(county.hourly, 3)
    assert not any("MN0001" in g and "MN0006" in g for g in groups)
    copied = shared.filter(
        (pl.col("anomaly_type") == "copy_paste")
        & (pl.col("mn") == "MN0006")
        & (pl.col("start_time") == COPIED_DAY)
    )
    assert copied.height == 1
    assert '"source_mn": "MN0001"' in copied["evidence"][0]
    assert shared.equals(alone)


def test_devices_split_into_contiguous_groups_of_about_equal_hours() -> None:
    hours = {"A": 10, "B": 10, "C": 10, "D": 70, "E": 5}
    hourly = pl.DataFrame({"mn": [mn for mn, n in hours.items() for _ in range(n)]})
    assert device_groups(hourly, 1) == [["A", "B", "C", "D", "E"]]
    assert device_groups(hourly, 2) == [["A", "B", "C", "D"], ["E"]]
    assert device_groups(hourly, 3) == [["A", "B", "C", "D"], ["E"]]  # never an empty group
    assert device_groups(hourly.head(30), 3) == [["A"], ["B"], ["C"]]
    assert device_groups(hourly.head(20), 5) == [["A"], ["B"]]


def test_small_inputs_stay_in_one_process() -> None:
    assert default_workers(MIN_PARALLEL_HOURS - 1) == 1
    assert default_workers(MIN_PARALLEL_HOURS) >= 1


def test_a_failing_worker_names_its_cause(county) -> None:
    state = pl.DataFrame(
        {"mn": ["MN0001"], "hour_start": [datetime(2024, 3, 1)], "state": ["running"]}
    )
    shards = [device_frames(county, state, ["MN0001"])]
    with pytest.raises(WorkerFailed, match=r"worker 1 of 1 exited with 1: KeyError: 'sql'"):
        run_sharded(_device_job, shards, {}, [None])
