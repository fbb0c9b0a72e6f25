"""An outlet's hourly series for the mark tests, built from its values, marks and operating
state: a C-marked hour is invalid with all its minutes marked, every other hour is valid."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series


def marked_series(
    value: np.ndarray,
    flag: np.ndarray,
    state: np.ndarray,
    channels: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    mn: str,
    pollutant_code: str,
    limit: float,
    span: float,
    source_kind: str,
) -> Series:
    """Hourly from 2024-03-04: `value` measured (= converted, no reference O2), `flag` per hour,
    `state` per hour (running / transition / stopped, also the flow and temperature votes) and
    the device's (O2, flow, stack temperature)."""
    n = value.size
    o2, flow, temp = channels
    running = state == "running"
    t0 = datetime(2024, 3, 4)
    return Series(
        mn=mn,
        pollutant_code=pollutant_code,
        times=[t0 + timedelta(hours=i) for i in range(n)],
        measured=value,
        converted=value,
        o2=o2,
        flow=flow,
        temp=temp,
        valid=flag == "N",
        present=np.ones(n, bool),
        flag=flag.astype(str),
        marked_minutes=np.where(flag == "C", 60.0, 0.0),
        state=state.astype(str),
        flow_vote=running.astype(float),
        temp_vote=running.astype(float),
        limit=limit,
        span=span,
        detection_limit=1.0,
        reference_o2=None,
        source_kind=source_kind,
        o2_informative=True,
    )


def day_plant_channels(
    running: np.ndarray, flow: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(O2, flow, stack temperature) of a plant that runs part of the day: 12 % O2 and 80 °C
    while running, ambient air (20.8 %, 30 °C) while not."""
    n = running.size
    o2 = np.where(running, 12.0, 20.8) + rng.normal(0, 0.2, n)
    return o2, flow, np.where(running, 80.0, 30.0) + rng.normal(0, 1.0, n)


def calibration_findings(s: Series) -> list[dict]:
    """calibration_timing's findings on the series alone (its own device)."""
    fb = FindingsBuilder("py.calibration_timing")
    marks.calibration_timing(s, [s], load_config(), fb)
    return fb.frame().to_dicts()
