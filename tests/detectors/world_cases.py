"""A world's labelled case and the one finding over it: what the tests built on a seed of the
benchmark worlds ask."""

from __future__ import annotations

import json

import polars as pl

from benchmarks.detector_worlds.workbench import Label
from benchmarks.detector_worlds.world import World


def case_of(world: World, kind: str, mn: str, pollutant_code: str) -> Label:
    """The world's case of `kind`, checked to lie on `mn` × `pollutant_code`."""
    lab = next(x for x in world.labels if x.anomaly_type == kind)
    assert (lab.mn, lab.pollutant_code) == (mn, pollutant_code)
    return lab


def evidence_over(found: pl.DataFrame, lab: Label) -> dict:
    """The evidence of the one finding whose window overlaps the case's."""
    hit = found.filter((pl.col("start_time") <= lab.end) & (pl.col("end_time") >= lab.start))
    assert hit.height == 1, found.select("start_time", "end_time").rows()
    return json.loads(hit.row(0, named=True)["evidence"])
