"""A small, physics-faithful simulator of clean hourly CEMS frames (detector input contract).

Used by the detector tests and by the benchmark where the county generator is not importable:
load drives flow, O2 (down with load), stack temperature and the converted concentration; the
measured value follows from the O2 conversion; shutdowns bring flow to ~0, O2 to ambient and
let the stack cool; routine daily calibrations take minutes out of one hour a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from dagster_project.detectors.inputs import HOURLY_SCHEMA, OUTLET_POLLUTANT_SCHEMA


@dataclass
class PollutantSpec:
    code: str
    limit: float
    span: float
    detection_limit: float
    base_fraction: float  # typical converted level / limit


@dataclass
class OutletSpec:
    mn: str
    outlet_id: str
    enterprise_id: str
    source_kind: str = "boiler"
    profile: str = "continuous"  # continuous, day_shift, two_shift
    reference_o2: float | None = 9.0
    design_flow: float = 20.0
    o2_full: float = 7.0
    o2_low: float = 12.0
    temp_full: float = 140.0
    pollutants: list[PollutantSpec] = field(
        default_factory=lambda: [
            PollutantSpec("a34013", 10.0, 50.0, 1.0, 0.35),
            PollutantSpec("a21026", 35.0, 200.0, 3.0, 0.45),
            PollutantSpec("a21002", 50.0, 300.0, 3.0, 0.55),
        ]
    )
    calibration_hour: int | None = 2


def _running(profile: str, hour: int, rng: np.random.Generator) -> bool:
    if profile == "day_shift":
        return 8 <= hour < 18
    if profile == "two_shift":
        return 6 <= hour < 22
    return True


def simulate_outlet(
    spec: OutletSpec,
    start: datetime,
    days: int,
    seed: int,
    shutdowns: list[tuple[datetime, datetime]] | None = None,
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = days * 24
    times = [start + timedelta(hours=i) for i in range(n)]
    hours = np.array([t.hour for t in times])
    run = np.array([_running(spec.profile, int(h), rng) for h in hours])
    for a, b in shutdowns or []:
        run &= ~np.array([a <= t < b for t in times])
    day_factor = np.repeat(rng.normal(1.0, 0.05, days), 24)
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.85 * ar[i - 1] + rng.normal(0, 0.025)
    diurnal = 0.12 * np.sin(2 * np.pi * (hours - 9) / 24)
    load = np.clip((0.75 + diurnal + ar) * day_factor, 0.35, 1.0)
    load = np.where(run, load, 0.0)
    flow = np.where(
        run,
        spec.design_flow * (0.3 + 0.7 * load) * rng.normal(1, 0.02, n),
        np.abs(rng.normal(0.01, 0.005, n)) * spec.design_flow,
    )
    o2_run = (
        spec.o2_low + (spec.o2_full - spec.o2_low) * (load - 0.3) / 0.7 + rng.normal(0, 0.15, n)
    )
    o2 = np.where(run, o2_run, 20.7 + rng.normal(0, 0.08, n))
    temp = np.empty(n)
    t_prev = spec.temp_full
    for i in range(n):
        target = 25 + (spec.temp_full - 25) * (0.6 + 0.4 * load[i]) if run[i] else 22.0
        t_prev = target + (t_prev - target) * (0.2 if run[i] else 0.55)
        temp[i] = t_prev + rng.normal(0, 1.0)
    rows = []
    o2r = np.round(np.minimum(o2, 20.95), 2)
    for p in spec.pollutants:
        lvl = np.zeros(n)
        for i in range(1, n):
            lvl[i] = 0.8 * lvl[i - 1] + rng.normal(0, 0.06)
        conv = p.base_fraction * p.limit * (0.8 + 0.4 * load) * np.exp(lvl)
        ref = spec.reference_o2 if spec.reference_o2 is not None else 0.0
        meas_run = conv * (21 - o2r) / (21 - ref) if spec.reference_o2 is not None else conv
        meas = np.where(run, meas_run, np.abs(rng.normal(0, 0.3 * p.detection_limit, n)))
        meas = np.round(meas, 2)
        converted = (
            np.round(meas * (21 - spec.reference_o2) / (21 - o2r), 2)
            if spec.reference_o2 is not None
            else np.full(n, np.nan)
        )
        cal = np.array(
            [spec.calibration_hour is not None and h == spec.calibration_hour for h in hours]
        )
        marked = np.where(cal, 10, 0)
        valid_minutes = 60 - marked
        rows.append(
            pl.DataFrame(
                {
                    "mn": spec.mn,
                    "pollutant_code": p.code,
                    "hour_start": times,
                    "avg_measured": meas,
                    "avg_converted": converted,
                    "o2": o2r,
                    "flow_m3_s": np.round(flow, 3),
                    "temp_c": np.round(temp, 1),
                    "mass_kg": np.round(meas * np.round(flow, 3) * 3.6e-3, 5),
                    "valid_minutes": valid_minutes,
                    "normal_minutes": valid_minutes,
                    "marked_minutes": marked,
                    "minute_mean": meas,
                    "is_valid": valid_minutes >= 45,
                    "flag": "N",
                }
            )
        )
    out = pl.concat(rows)
    return out.with_columns(pl.col("avg_converted").fill_nan(None)).select(
        [pl.col(c).cast(t) for c, t in HOURLY_SCHEMA.items()]
    )


def outlet_rows(spec: OutletSpec) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "mn": spec.mn,
                "pollutant_code": p.code,
                "outlet_id": spec.outlet_id,
                "enterprise_id": spec.enterprise_id,
                "source_kind": spec.source_kind,
                "reference_o2": spec.reference_o2,
                "limit_mg_m3": p.limit,
                "analyzer_range": p.span,
                "detection_limit": p.detection_limit,
            }
            for p in spec.pollutants
        ],
        schema=OUTLET_POLLUTANT_SCHEMA,
    )
