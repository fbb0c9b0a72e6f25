"""One outlet of world B's physics over its 56 days, without faults, as detector inputs."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from benchmarks.detector_worlds.world_b import DAYS, START, physics
from dagster_project.detectors.inputs import OUTLET_POLLUTANT_SCHEMA, DetectorInputs


def world_b_outlet(seed: int, index: int, schedule: str, noise_seed: int) -> DetectorInputs:
    """Outlet `index` of world B's draw for `seed` (asserted to run on `schedule`), simulated
    with the noise of `noise_seed`."""
    outlet = physics.draw_outlets(seed, np.random.default_rng([seed, 0xB]))[index]
    assert outlet.kind.schedule == schedule
    start = datetime(START.year, START.month, START.day)
    hourly = physics.simulate_outlet(
        outlet, start, DAYS, np.random.default_rng(noise_seed), [], None, physics.Truth()
    )
    outlets = pl.DataFrame(physics.outlet_rows(outlet), schema=OUTLET_POLLUTANT_SCHEMA)
    return DetectorInputs(hourly, outlets)
