"""World B, the report world: plants, noise, operation and faults made apart from world A (see
`physics.py` and `faults.py`). Never used to tune a threshold; its figures are the ones reported
against the issue's targets."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds.workbench import Label, Workbench, allocate
from benchmarks.detector_worlds.world import World
from benchmarks.detector_worlds.world_a import LONG_OR_DEVICE
from benchmarks.detector_worlds.world_b.faults import CASES
from benchmarks.detector_worlds.world_b.physics import simulate_county
from dagster_project.detectors.findings import ANOMALY_TYPES
from dagster_project.detectors.inputs import STACK_TEST_SCHEMA

START = date(2023, 10, 30)  # through the start of the heating season on 15 November
DAYS = 56


def _agreeing_tests(hourly: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Comparison stack tests on a third of the outlet × pollutant series that agree with the
    analyser within a few per cent (clean traps for reference_disagreement)."""
    rows = []
    keys = hourly.select("mn", "pollutant_code").unique().sort("mn", "pollutant_code").rows()
    for mn, pol in keys:
        if rng.random() > 0.33:
            continue
        g = hourly.filter((pl.col("mn") == mn) & (pl.col("pollutant_code") == pol)).sort(
            "hour_start"
        )
        # three consecutive normal hours at load, as a comparison test would be run
        ok = (
            (g["flag"] == "N")
            & g["is_valid"]
            & (g["flow_m3_s"] > 0.5 * g["flow_m3_s"].quantile(0.95))
        ).to_numpy()
        starts = [
            i
            for i in range(48, g.height - 48)
            if ok[i : i + 3].all()
            and (g["hour_start"][i + 2] - g["hour_start"][i]) == timedelta(hours=2)
        ]
        if not starts:
            continue
        h = g.slice(int(rng.choice(starts)), 3)
        comp = h["avg_converted"] if h["avg_converted"].null_count() == 0 else h["avg_measured"]
        rows.append(
            {
                "mn": mn,
                "pollutant_code": pol,
                "start_time": h["hour_start"][0],
                "end_time": h["hour_start"][-1] + timedelta(minutes=59),
                "reference_mg_m3": float(comp.mean()) * rng.uniform(0.93, 1.07),
            }
        )
    return pl.DataFrame(rows, schema=STACK_TEST_SCHEMA)


def build(seed: int, days: int = DAYS, start: date = START) -> World:
    hourly, outlets, _, truth = simulate_county(seed, start, days)
    wb = Workbench.from_frames(hourly, outlets, seed * 7919 + 11)
    # long and device-wide cases first, so that each finds an outlet of its own
    order = tuple(sorted(ANOMALY_TYPES, key=lambda t: t not in LONG_OR_DEVICE))
    allocate(wb, CASES, order, LONG_OR_DEVICE)
    injected, tests = wb.frames()
    clean_tests = _agreeing_tests(hourly, np.random.default_rng([seed, 0x7E57]))
    expected = [Label("missing_data", mn, pol, a, b) for mn, pol, a, b in truth.missing]
    noisy = truth.noisy_shutdown
    return World(
        name="B",
        seed=seed,
        days=days,
        outlets=outlets,
        clean=hourly,
        injected=injected,
        labels=wb.labels,
        stopped=truth.stopped,
        routine=truth.routine,
        expected=expected,
        stack_tests=pl.concat([tests, clean_tests]),
        clean_stack_tests=clean_tests,
        notes=f"noisy 30-hour shutdown on {noisy[0]} from {noisy[1]}" if noisy else "",
    )
