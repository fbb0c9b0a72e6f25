"""Legitimate changes of operation that must not read as a changed fingerprint: the start of the
heating season on a district-heating boiler (world B's physics: load steps up on 15 November,
so spread and persistence of the values change while they keep following the outlet's flow,
O2 and other pollutants)."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors import patterns
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.world_b_outlet import world_b_outlet


def _heating_boiler() -> DetectorInputs:
    """One heating boiler over world B's 56 days, no fault: a realisation whose heating-season
    start moved two fingerprint features of its SO2 by more than 4 robust z."""
    return world_b_outlet(302, 8, "heating", 21)


def test_the_heating_season_start_is_not_a_fingerprint_drift() -> None:
    cfg = load_config()
    inputs = _heating_boiler()
    series = series_for_frames(inputs, cfg)
    so2 = next(s for s in series if s.pollutant_code == "a21026")
    fp = patterns.fingerprints(so2, series, cfg)
    assert fp is not None
    z, dist = patterns.fingerprint_distance(fp)
    moved = (np.abs(z) >= cfg["fingerprint_drift"]["feature_z"]).sum(axis=1)
    # the case is what it claims: without the own-channel condition it would be reported
    assert (
        (dist >= cfg["fingerprint_drift"]["min_distance"])
        & (moved >= cfg["fingerprint_drift"]["min_features"])
    ).any()
    fb = FindingsBuilder("py.fingerprint_drift")
    patterns.fingerprint_drift(series, cfg, fb)
    assert fb.frame().height == 0, fb.frame().select("pollutant_code", "start_time").rows()
