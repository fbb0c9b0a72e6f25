"""Which of two outlets holds a scaled copy when neither one's coupling with its own channels
tells: the copy's values jump at the stretch's ends (the outlet's own values give way to foreign
ones there), the original runs on as before. World B's seed 888 writes 6 days of B0888002's NOx
over B0888016's; neither coupling dropped over the stretch (t -1.7 and -0.6)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.world import World
from dagster_project.detectors import copies
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.world_cases import case_of, evidence_over

COPY, ORIGINAL, POL = "B0888016", "B0888002", "a21002"
C = {"side_min_t": 2.0, "edge_jump_z": 5.0, "edge_ratio": 2.0}


@pytest.fixture(scope="module")
def world() -> World:
    return world_b.build(888)


def _found(world: World, **overrides: float) -> pl.DataFrame:
    cfg = load_config(overrides={"scaled_copy": overrides} if overrides else None)
    frame = world.injected.filter(pl.col("pollutant_code") == POL)
    fb = FindingsBuilder("py.scaled_copy")
    copies.scaled_copies(series_for_frames(DetectorInputs(frame, world.outlets), cfg), cfg, fb)
    return fb.frame()


def test_the_copy_is_reported_on_the_outlet_whose_values_jump_at_its_ends(world: World) -> None:
    lab = case_of(world, "fingerprint_drift", COPY, POL)
    found = _found(world)
    assert found["mn"].to_list() == [COPY]
    ev = evidence_over(found, lab)["values"]
    assert ev["source_mn"] == ORIGINAL
    assert max(ev["coupling_here"]["t"], ev["coupling_source"]["t"]) < C["side_min_t"]
    assert ev["edge_jump_here"] >= C["edge_jump_z"]
    assert ev["edge_jump_here"] >= C["edge_ratio"] * ev["edge_jump_source"]


def test_by_coupling_alone_the_original_would_be_reported(world: World) -> None:
    assert _found(world, edge_jump_z=1e9)["mn"].to_list() == [ORIGINAL]


def _drop(t: float) -> SimpleNamespace:
    return SimpleNamespace(t=t)


def test_a_clear_coupling_drop_decides_before_the_jumps() -> None:
    drops = {"A": _drop(3.0), "B": _drop(0.5)}
    assert copies.copy_side(drops, {"A": 0.5, "B": 20.0}, C) == ["A"]


def test_without_a_clear_drop_a_clear_jump_decides() -> None:
    drops = {"A": _drop(1.5), "B": _drop(-1.0)}
    assert copies.copy_side(drops, {"A": 1.0, "B": 8.0}, C) == ["B"]
    # jumps on both ends of both sides, neither twice the other's: the larger drop, as before
    assert copies.copy_side(drops, {"A": 6.0, "B": 8.0}, C) == ["A"]


def test_when_nothing_tells_both_are_reported() -> None:
    assert copies.copy_side({"A": None, "B": None}, {"A": None, "B": 3.0}, C) == ["A", "B"]


def _series(values: np.ndarray, running: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(
        measured=values,
        state=np.where(running, "running", "stopped"),
        present=np.ones(values.size, bool),
    )


def test_edge_jump_reads_the_changes_into_and_out_of_the_stretch() -> None:
    rng = np.random.default_rng(1)
    values = np.exp(0.02 * rng.standard_normal(200).cumsum() + 3.0)
    values[100:150] *= 1.5  # foreign values from hour 100 to 149
    running = np.ones(200, bool)
    jump = copies.edge_jump(_series(values, running), np.arange(100, 150))
    assert jump is not None and jump > 10
    # bordered by stops on both sides: no end to read
    running[99] = running[150] = False
    assert copies.edge_jump(_series(values, running), np.arange(100, 150)) is None
