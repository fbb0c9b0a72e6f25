"""Small synthetic counties (the detectors' own simulator) for the detector tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from benchmarks.detector_worlds.simulate import (
    OutletSpec,
    PollutantSpec,
    outlet_rows,
    simulate_outlet,
)

START = datetime(2024, 3, 1)
DAYS = 45
SHUTDOWN = (START + timedelta(days=20, hours=8), START + timedelta(days=22, hours=20))


def county_specs() -> list[OutletSpec]:
    boiler = [
        PollutantSpec("a34013", 10, 50, 1, 0.45),
        PollutantSpec("a21026", 35, 200, 3, 0.5),
        PollutantSpec("a21002", 50, 300, 3, 0.55),
    ]
    kiln = [
        PollutantSpec("a34013", 30, 100, 1, 0.4),
        PollutantSpec("a21026", 300, 1000, 3, 0.35),
        PollutantSpec("a21002", 200, 800, 3, 0.45),
    ]
    return [
        OutletSpec(
            "MN0001", "DA001", "E001", "boiler", "continuous", 9.0, 30, 6.5, 11.5, 130, boiler
        ),
        OutletSpec(
            "MN0002", "DA001", "E002", "boiler", "continuous", 9.0, 25, 6.5, 11.5, 130, boiler
        ),
        OutletSpec(
            "MN0003", "DA001", "E003", "kiln", "continuous", 18.0, 20, 16.5, 18.8, 110, kiln
        ),
        OutletSpec(
            "MN0004", "DA002", "E003", "kiln", "continuous", 18.0, 28, 16.5, 18.8, 110, kiln
        ),
        OutletSpec(
            "MN0005",
            "DA001",
            "E004",
            "boiler",
            "two_shift",
            3.5,
            8,
            3.0,
            7.0,
            90,
            [PollutantSpec("a34013", 5, 20, 1, 0.4), PollutantSpec("a21002", 50, 200, 3, 0.6)],
        ),
        OutletSpec(
            "MN0006", "DA001", "E005", "boiler", "day_shift", 9.0, 10, 7.0, 12.0, 150, boiler
        ),
        OutletSpec(
            "MN0007",
            "DA001",
            "E006",
            "process",
            "day_shift",
            None,
            6,
            20.3,
            20.7,
            35,
            [PollutantSpec("a34013", 10, 50, 1, 0.4)],
            calibration_hour=None,
        ),
        OutletSpec(
            "MN0008",
            "DA001",
            "E007",
            "voc",
            "continuous",
            None,
            8,
            20.3,
            20.7,
            30,
            [PollutantSpec("a24088", 60, 200, 0.07, 0.35)],
            calibration_hour=None,
        ),
    ]


@pytest.fixture(scope="session")
def clean_county() -> tuple[pl.DataFrame, pl.DataFrame]:
    """8 outlets × 45 days: daily calibrations, night stops, a 2.5-day legitimate shutdown."""
    specs = county_specs()
    parts = [
        simulate_outlet(
            s, START, DAYS, seed=100 + i, shutdowns=[SHUTDOWN] if s.mn == "MN0001" else None
        )
        for i, s in enumerate(specs)
    ]
    return pl.concat(parts), pl.concat([outlet_rows(s) for s in specs])
