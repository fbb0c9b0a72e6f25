"""copy_paste kept between builds: a nightly compares only the new days, with the same findings
as a run over the whole series."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from benchmarks.detector_worlds import faults
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.patterns import copy_paste
from tests.detectors.conftest import DAYS, START

LAST_DAY = START + timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def county(clean_county) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The test county with a copied day (early in the period) on two outlets."""
    hourly, outlets = clean_county
    wb = faults.Workbench.from_frames(hourly, outlets, 11)
    assert faults.CASES["copy_paste"](wb, "MN0003", "a21002")
    assert faults.CASES["copy_paste"](wb, "MN0002", "a21026")
    injected, _ = wb.frames()
    return injected, outlets


def _run(hourly: pl.DataFrame, outlets: pl.DataFrame, memo: pl.DataFrame | None = None):
    cfg = load_config()
    fb = FindingsBuilder("py.copy_paste")
    kept = copy_paste(series_for_frames(DetectorInputs(hourly, outlets), cfg), cfg, fb, memo)
    return fb.frame().sort("anomaly_id"), kept


def _until(hourly: pl.DataFrame, day) -> pl.DataFrame:
    return hourly.filter(pl.col("hour_start") < day)


def test_a_new_day_compared_against_the_kept_days_finds_what_a_full_run_finds(county) -> None:
    hourly, outlets = county
    full, full_memo = _run(hourly, outlets)
    assert full.height >= 2  # the copied days, at least
    _, yesterday = _run(_until(hourly, LAST_DAY), outlets)
    nightly, memo = _run(hourly, outlets, yesterday)
    assert nightly.equals(full)
    assert memo.equals(full_memo)


def test_the_kept_results_are_used_not_recomputed(county) -> None:
    hourly, outlets = county
    _, yesterday = _run(_until(hourly, LAST_DAY), outlets)
    found = yesterday.filter(pl.col("source_mn").is_not_null())
    assert found.height >= 2
    marked = yesterday.with_columns(
        rel_rmse=pl.when(pl.col("source_mn").is_not_null()).then(0.0042).otherwise(None)
    )
    nightly, _ = _run(hourly, outlets, marked)
    assert nightly.height == found.height
    assert all(json.loads(e)["statistic"]["value"] == 0.0042 for e in nightly["evidence"])


def test_changed_earlier_days_and_other_thresholds_are_compared_again(county) -> None:
    hourly, outlets = county
    _, yesterday = _run(_until(hourly, LAST_DAY), outlets)
    # late data: a day of the copied outlet's copy rewritten (its copy is gone) after the memo
    copies, _ = _run(hourly, outlets)
    day = copies.filter(pl.col("mn") == "MN0003")["start_time"][0]
    on_day = (
        (pl.col("mn") == "MN0003")
        & (pl.col("pollutant_code") == "a21002")
        & (pl.col("hour_start").dt.truncate("1d") == day)
    )
    late = hourly.with_columns(
        pl.when(on_day).then(pl.col(c) * 1.3).otherwise(pl.col(c)).alias(c)
        for c in ("avg_measured", "avg_converted", "minute_mean")
    )
    full, full_memo = _run(late, outlets)
    nightly, memo = _run(late, outlets, yesterday)
    assert nightly.equals(full) and memo.equals(full_memo)
    assert full.height == copies.height - 1
    # a memo made under other thresholds is not used
    other = yesterday.with_columns(config=pl.lit("other"), rel_rmse=pl.lit(0.0042))
    again = _run(hourly, outlets, other)[0]
    assert again.equals(copies)
    assert not any(json.loads(e)["statistic"]["value"] == 0.0042 for e in again["evidence"])
