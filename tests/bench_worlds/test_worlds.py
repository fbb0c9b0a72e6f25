"""The benchmark worlds: world B is built apart from world A, deterministic for a seed, in the
detector contract, with its legitimate events as truth and every injected case labelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from benchmarks.bench_detector_alone import findings
from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.scoring import overlaps, score, wilson
from benchmarks.detector_worlds.workbench import Label
from benchmarks.detector_worlds.world import World
from dagster_project.detectors.inputs import HOURLY_SCHEMA, OUTLET_POLLUTANT_SCHEMA

DAYS = 28


@pytest.fixture(scope="module")
def world() -> World:
    return world_b.build(7, days=DAYS, start=date(2023, 11, 1))


def test_world_b_follows_the_detector_contract(world) -> None:
    assert world.injected.schema == pl.Schema(HOURLY_SCHEMA)
    assert world.clean.schema == pl.Schema(HOURLY_SCHEMA)
    assert world.outlets.schema == pl.Schema(OUTLET_POLLUTANT_SCHEMA)
    kinds = set(world.outlets["source_kind"])
    assert kinds == {"boiler", "kiln", "voc", "process"}
    # cement kiln tails, glass furnaces and VOC outlets near ambient O2 are among the plants
    assert {"cement", "glass"} <= set(world.outlets["key_industry"])
    voc = world.clean.join(
        world.outlets.filter(pl.col("source_kind") == "voc").select("mn").unique(), on="mn"
    )
    assert voc.filter(pl.col("flow_m3_s") > 1)["o2"].median() > 19.5


def test_world_b_is_deterministic_and_labels_its_cases(world) -> None:
    again = world_b.build(7, days=DAYS, start=date(2023, 11, 1))
    assert again.injected.equals(world.injected)
    assert [lab.anomaly_type for lab in again.labels] == [lab.anomaly_type for lab in world.labels]
    assert len({lab.anomaly_type for lab in world.labels}) >= 20
    first, last = world.clean["hour_start"].min(), world.clean["hour_start"].max()
    assert all(first <= lab.start <= lab.end <= last for lab in world.labels)


def test_world_b_clean_data_carry_their_legitimate_events(world) -> None:
    # routine whole-hour calibrations and maintenance marks, lost-minute hours flagged D
    flags = set(world.clean["flag"])
    assert {"N", "C", "D"} <= flags
    assert world.stopped and world.routine
    assert world.notes.startswith("noisy 30-hour shutdown")
    # the expected events (logger outages and invalid hours) are real absences in the clean data
    outage = next(e for e in world.expected if e.pollutant_code is None)
    rows = world.clean.filter(
        (pl.col("mn") == outage.mn) & pl.col("hour_start").is_between(outage.start, outage.end)
    )
    assert rows.height == 0


def test_scoring_counts_hits_false_episodes_and_their_timing() -> None:
    t0 = datetime(2024, 1, 1)
    lab = Label("step_change", "M1", "a21026", t0, t0 + timedelta(hours=48))
    findings = pl.DataFrame(
        {
            "mn": ["M1", "M1", "M2"],
            "pollutant_code": ["a21026", "a21026", "a34013"],
            "anomaly_type": ["step_change", "exceedance", "constant_value"],
            "start_time": [t0 + timedelta(hours=10), t0 + timedelta(days=9), t0],
            "end_time": [t0 + timedelta(hours=60), t0 + timedelta(days=9), t0],
        }
    )
    s = score(findings, [lab], [], {"M2": [(t0, t0 + timedelta(hours=30))]}, {})
    assert s.hits == [("step_change", True)]
    assert s.false_by_type == {"exceedance": 1, "constant_value": 1}
    assert s.in_shutdown == 1 and s.in_routine == 0
    lo, hi = wilson(19, 20)
    assert round(lo, 3) == 0.764 and round(hi, 3) == 0.991


def test_one_detector_alone_finds_its_case_and_nothing_on_the_clean_data(world) -> None:
    """bench_detector_alone: the copy search (a cross-series detector) finds the copied day on the
    injected data and reports nothing on the clean data; a per-series detector runs too."""
    (case,) = [lab for lab in world.labels if lab.anomaly_type == "copy_paste"]
    found = findings(world.injected, world.outlets, world.stack_tests, "py.copy_paste")
    assert all(r["detector"] == "py.copy_paste" for r in found)
    assert any(r["anomaly_type"] == "copy_paste" and overlaps(r, case) for r in found)
    assert findings(world.clean, world.outlets, world.clean_stack_tests, "py.copy_paste") == []
    shifts = findings(world.injected, world.outlets, world.stack_tests, "py.step_rescale")
    assert {r["anomaly_type"] for r in shifts} <= {"step_change", "rescaled_signal"}
