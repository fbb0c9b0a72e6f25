"""Each detector fires on a small injected case and stays silent on its clean twin."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from benchmarks.detector_worlds import faults
from dagster_project.detectors.engine import detect_frames
from dagster_project.detectors.findings import ANOMALY_TYPES, FINDINGS_SCHEMA
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.conftest import SHUTDOWN

SLACK = timedelta(hours=24)


@pytest.fixture(scope="module")
def clean_findings(clean_county):
    hourly, outlets = clean_county
    return detect_frames(DetectorInputs(hourly, outlets))


def _inject_one(clean_county, anomaly_type: str, seed: int = 3):
    hourly, outlets = clean_county
    wb = faults.Workbench.from_frames(hourly, outlets, seed)
    keys = list(wb.cols)
    for i in wb.rng.permutation(len(keys)):
        mn, pol = keys[int(i)]
        if faults.CASES[anomaly_type](wb, mn, pol):
            break
    assert wb.labels, f"no outlet of the test county suits a {anomaly_type} case"
    h, tests = wb.frames()
    return wb.labels[0], detect_frames(DetectorInputs(h, outlets, tests))


def _matches(f: dict, lab: faults.Label) -> bool:
    return (
        f["mn"] == lab.mn
        and f["start_time"] <= lab.end + SLACK
        and f["end_time"] >= lab.start - SLACK
        and (lab.pollutant_code is None or f["pollutant_code"] in (None, lab.pollutant_code))
    )


def test_clean_county_has_no_findings(clean_findings):
    assert clean_findings.height == 0, clean_findings.select(
        "mn", "anomaly_type", "start_time"
    ).rows()


@pytest.mark.parametrize("anomaly_type", ANOMALY_TYPES)
def test_injected_case_is_found_with_its_type(clean_county, clean_findings, anomaly_type):
    lab, found = _inject_one(clean_county, anomaly_type)
    rows = found.to_dicts()
    assert any(f["anomaly_type"] == anomaly_type and _matches(f, lab) for f in rows), (
        lab,
        [
            (f["anomaly_type"], f["pollutant_code"], f["start_time"])
            for f in rows
            if f["mn"] == lab.mn
        ],
    )
    # its clean twin: nothing of that type on that outlet
    assert (
        clean_findings.filter(
            (pl.col("mn") == lab.mn) & (pl.col("anomaly_type") == anomaly_type)
        ).height
        == 0
    )


def test_legitimate_shutdown_raises_nothing_and_stopped_mark_while_running_does(clean_county):
    hourly, outlets = clean_county
    a, b = SHUTDOWN
    found = detect_frames(DetectorInputs(hourly, outlets))
    assert (
        found.filter(
            (pl.col("mn") == "MN0001") & (pl.col("start_time") <= b) & (pl.col("end_time") >= a)
        ).height
        == 0
    )
    # the same hours with real zeros while the flue gas runs: zero_while_operating
    running = hourly.with_columns(
        pl.when((pl.col("mn") == "MN0002") & pl.col("hour_start").is_between(a, b))
        .then(0.0)
        .otherwise(pl.col("avg_measured"))
        .alias("avg_measured")
    )
    found = detect_frames(DetectorInputs(running, outlets))
    assert (
        found.filter(
            (pl.col("mn") == "MN0002") & (pl.col("anomaly_type") == "zero_while_operating")
        ).height
        == 3
    )


def test_routine_daily_calibration_hours_are_not_calibration_timing(clean_county):
    hourly, outlets = clean_county
    # a routine calibration marked C for the whole hour every day at 02:00
    marked = hourly.with_columns(
        pl.when(pl.col("hour_start").dt.hour() == 2)
        .then(pl.lit("C"))
        .otherwise(pl.col("flag"))
        .alias("flag")
    )
    found = detect_frames(DetectorInputs(marked, outlets))
    assert (
        found.filter(
            pl.col("anomaly_type").is_in(["calibration_timing", "masked_exceedance"])
        ).height
        == 0
    )


def test_findings_follow_the_contract(clean_county):
    _, found = _inject_one(clean_county, "o2_manipulation")
    assert found.schema == pl.Schema(FINDINGS_SCHEMA)
    assert found["anomaly_id"].is_unique().all()
    assert set(found["anomaly_type"]) <= set(ANOMALY_TYPES)
    assert found["outlet_id"].null_count() == 0 and found["enterprise_id"].null_count() == 0
    for ev in found["evidence"]:
        doc = json.loads(ev)
        assert {"window", "values", "statistic", "threshold"} <= set(doc)
        assert doc["window"]["start"] and doc["window"]["end"]
        assert doc["threshold"] not in (None, {}, [])


def test_findings_are_deterministic(clean_county):
    _, first = _inject_one(clean_county, "step_change")
    _, second = _inject_one(clean_county, "step_change")
    assert first["anomaly_id"].to_list() == second["anomaly_id"].to_list()
