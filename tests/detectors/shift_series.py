"""A boiler's hourly series for the level-shift tests, built from its measured values."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors.series import Series


def boiler_series(
    x: np.ndarray, flow: np.ndarray, running: np.ndarray, rng: np.random.Generator
) -> Series:
    """SO2 of a boiler from 2024-01-01, hour by hour: `x` measured (= converted) and `flow` while
    `running`; stopped hours read nothing, no flow and ambient O2 and temperature."""
    n = x.size
    t0 = datetime(2024, 1, 1)
    return Series(
        mn="MN0001",
        pollutant_code="a21026",
        times=[t0 + timedelta(hours=i) for i in range(n)],
        measured=np.where(running, x, np.nan),
        converted=np.where(running, x, np.nan),
        o2=np.where(running, 9.0 + rng.normal(0, 0.3, n), 20.9),
        flow=np.where(running, flow, 0.0),
        temp=np.where(running, 120 + rng.normal(0, 2, n), 20.0),
        valid=running.copy(),
        present=running.copy(),
        flag=np.full(n, "N"),
        marked_minutes=np.zeros(n),
        state=np.where(running, "running", "stopped"),
        flow_vote=running.astype(float),
        temp_vote=running.astype(float),
        limit=100.0,
        span=200.0,
        detection_limit=3.0,
        reference_o2=9.0,
        source_kind="boiler",
        o2_informative=True,
    )
