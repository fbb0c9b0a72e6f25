"""A profile written over a plant that runs part of the day: a 4-day window then holds too few
value pairs a period apart to judge (half of them, or fewer), however exactly they repeat. Its
windows are as much longer as its reading rate is lower (`patterns.window_days`). World B's seed
854 writes a profile over 6 days of the dust of B0854005, a plant reading about half its hours."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.world import World
from dagster_project.detectors import patterns
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.shift_series import boiler_series
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


def test_a_short_day_shift_series_is_still_judged() -> None:
    """Four weeks of a boiler running ten hours a day (280 hours read): enough for two base windows
    of hours read, though not for two of its longer windows, so it is judged. Eight of its days
    repeat a two-day profile cut from the two days before them."""
    rng = np.random.default_rng(4)
    n = 24 * 28
    hour = np.arange(n) % 24
    running = (hour >= 7) & (hour < 17)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.7 * noise[i - 1] + rng.normal(0, 0.15)
    x = 40.0 * np.exp(noise)
    first, last = 24 * 14, 24 * 22
    profile = x[first - 48 : first]
    x[first:last] = np.resize(profile, last - first) * (1 + rng.normal(0, 0.01, last - first))
    s = boiler_series(x, 30.0 * rng.uniform(0.8, 1.2, n), running, rng)
    cfg = load_config()
    fb = FindingsBuilder("py.periodic_pattern")
    patterns.periodic_pattern(s, cfg, fb)
    (f,) = fb.frame().to_dicts()
    ev = json.loads(f["evidence"])
    assert ev["values"]["period_hours"] == 48
    assert ev["threshold"]["window_days"] == 8
    assert f["start_time"] <= s.times[first + 48] and f["end_time"] >= s.times[last - 48]
