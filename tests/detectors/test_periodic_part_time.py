"""A profile written over a plant that runs part of the day: a 4-day window then holds too few
value pairs a period apart to judge (half of them, or fewer), however exactly they repeat. Its
windows are as much longer as its reading rate is lower (`patterns.window_days`). World B's seed
854 writes a profile over 6 days of the dust of B0854005, a plant reading about half its hours."""

from __future__ import annotations

import polars as pl
import pytest

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.world import World
from dagster_project.detectors import patterns
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.world_cases import case_of, evidence_over

MN, POL = "B0854005", "a34013"


@pytest.fixture(scope="module")
def world() -> World:
    return world_b.build(854)


def _found(frame: pl.DataFrame, outlets: pl.DataFrame, **overrides: float) -> pl.DataFrame:
    cfg = load_config(overrides={"periodic_pattern": overrides} if overrides else None)
    inputs = DetectorInputs(
        frame.filter((pl.col("mn") == MN) & (pl.col("pollutant_code") == POL)),
        outlets.filter(pl.col("mn") == MN),
    )
    fb = FindingsBuilder("py.periodic_pattern")
    for s in series_for_frames(inputs, cfg):
        patterns.periodic_pattern(s, cfg, fb)
    return fb.frame()


def test_a_profile_over_a_part_time_plant_is_found(world: World) -> None:
    lab = case_of(world, "periodic_pattern", MN, POL)
    ev = evidence_over(_found(world.injected, world.outlets), lab)
    assert ev["threshold"]["window_days"] > 4
    assert ev["statistic"]["value"] >= ev["threshold"]["min_repeat_share"]


def test_four_days_of_a_part_time_plant_hold_too_few_pairs(world: World) -> None:
    assert _found(world.injected, world.outlets, window_read_hours=0).height == 0


def test_the_untouched_plant_raises_nothing(world: World) -> None:
    assert _found(world.clean, world.outlets).height == 0
