"""Bunching under the limit when a whole month was pushed up against it: [0.75 L, 0.9 L) fills as
much as [0.9 L, L), so the density ratio sees nothing, but the tail stops dead at L and the month
sits in the band far more often than the series' other hours. A process that its own control
holds under the limit all the time is not flagged."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors.config import load_config
from dagster_project.detectors.distribution import bunching_below_limit
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series

LIMIT = 100.0
DAYS = 56


def _series(values: np.ndarray) -> Series:
    n = values.size
    t0 = datetime(2024, 1, 1)
    ones = np.ones(n)
    return Series(
        mn="MN0001",
        pollutant_code="a21002",
        times=[t0 + timedelta(hours=i) for i in range(n)],
        measured=values,
        converted=values,
        o2=np.full(n, 9.0),
        flow=10 * ones,
        temp=120 * ones,
        valid=np.ones(n, bool),
        present=np.ones(n, bool),
        flag=np.full(n, "N"),
        marked_minutes=np.zeros(n),
        state=np.full(n, "running"),
        flow_vote=ones,
        temp_vote=ones,
        limit=LIMIT,
        span=300.0,
        detection_limit=3.0,
        reference_o2=None,
        source_kind="boiler",
        o2_informative=True,
    )


def _pushed_up(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The month scaled so its 80th percentile reads 0.93 L, everything from 0.86 L up rewritten
    inside [0.86 L, 0.99 L)."""
    y = x * (0.93 * LIMIT / np.percentile(x, 80))
    over = y >= 0.86 * LIMIT
    y[over] = rng.uniform(0.86, 0.99, int(over.sum())) * LIMIT
    return y


def _found(values: np.ndarray) -> list[dict]:
    fb = FindingsBuilder("test")
    bunching_below_limit(_series(values), load_config(), fb)
    return [r for r in fb.rows if r["anomaly_type"] == "bunching_below_limit"]


def test_a_month_pushed_up_against_the_limit_is_bunching() -> None:
    rng = np.random.default_rng(12)
    x = 45 * np.exp(rng.normal(0, 0.3, 24 * DAYS))
    month = slice(24 * 14, 24 * 42)
    x[month] = _pushed_up(x[month], rng)
    band = (x[month] >= 0.9 * LIMIT).sum()
    ref = ((x[month] >= 0.75 * LIMIT) & (x[month] < 0.9 * LIMIT)).sum()
    assert (band / 0.1) / (ref / 0.15) < 1.2  # the density ratio alone does not see it
    found = _found(x)
    assert found, "a wall at the limit in a month unlike the rest of the series"
    start = found[0]["start_time"]
    assert datetime(2024, 1, 14) <= start <= datetime(2024, 1, 22)


def test_a_process_held_under_its_limit_all_the_time_is_not_bunching() -> None:
    rng = np.random.default_rng(13)
    x = _pushed_up(45 * np.exp(rng.normal(0, 0.3, 24 * DAYS)), rng)
    band, ref = (x >= 0.9 * LIMIT).sum(), ((x >= 0.75 * LIMIT) & (x < 0.9 * LIMIT)).sum()
    assert (band / 0.1) / (ref / 0.15) < 1.2  # judged by the wall alone
    assert not _found(x)
