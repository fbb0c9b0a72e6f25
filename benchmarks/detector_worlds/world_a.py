"""World A, the tuning world: the county generator's clean physical truth (or, where the generator
is not importable, the small simulator of `simulate.py`), world A's fault injector (`faults.py`,
one case per anomaly type) and clean traps (whole days running hot but legal).

The detectors' thresholds are tuned on this world's tuning seed only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds.faults import CASES
from benchmarks.detector_worlds.simulate import (
    OutletSpec,
    PollutantSpec,
    outlet_rows,
    simulate_outlet,
)
from benchmarks.detector_worlds.workbench import Label, Workbench, allocate
from benchmarks.detector_worlds.world import Periods, World, stopped_periods, true_runs
from dagster_project.detectors.findings import ANOMALY_TYPES

# cases that reshape a month or edit the whole device: never beside another case on an outlet
LONG_OR_DEVICE = {
    "bunching_below_limit",
    "capped_value",
    "calibration_timing",
    "strategic_gap",
    "o2_manipulation",
    "dilution",
    "flow_load_inconsistency",
    "cross_sensor_inconsistency",
    "fingerprint_drift",
}


def clean_county(
    seed: int, days: int, start: datetime, source: str = "generator"
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Clean frames from the county generator's physical truth (or the small simulator)."""
    if source == "generator":
        try:
            return _generator_county(seed, days, start)
        except ImportError:
            pass
    return _simulated_county(seed, days, start)


def _generator_county(
    seed: int, days: int, start: datetime
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """The generator's truth per outlet (hourly polars frames, before packets) in the detector
    contract. Its deliberate real exceedances and logger outages are expected findings, not false
    ones; its shutdowns, daily calibrations, maintenance and high-but-legal day are clean traps."""
    from dagster_project.generator.county import POLLUTANT_CODES, build_county
    from dagster_project.generator.physics import simulate

    county = build_county(seed, 60)
    truth = simulate(county, start.date(), days, seed, minute_mns=[])
    parts, outlets, stopped = [], [], {}
    for mn, ot in truth.outlets.items():
        o, h = ot.outlet, ot.hourly.filter(pl.col("transmitted"))
        for p in o.pollutants:
            code = POLLUTANT_CODES[p]
            zs = (
                pl.col(f"{p}_zs_mg_m3")
                if f"{p}_zs_mg_m3" in h.columns
                else pl.lit(None, pl.Float64)
            )
            parts.append(
                h.select(
                    pl.lit(mn).alias("mn"),
                    pl.lit(code).alias("pollutant_code"),
                    pl.col("time").alias("hour_start"),
                    pl.col(f"{p}_mg_m3").alias("avg_measured"),
                    zs.cast(pl.Float64).alias("avg_converted"),
                    pl.col("o2_pct").alias("o2"),
                    "flow_m3_s",
                    "temp_c",
                    pl.col(f"{p}_kg").alias("mass_kg"),
                    "valid_minutes",
                    pl.col("valid_minutes").alias("normal_minutes"),
                    pl.when(pl.col("state") == "running")
                    .then(60 - pl.col("valid_minutes"))
                    .otherwise(0)
                    .alias("marked_minutes"),
                    pl.col(f"{p}_mg_m3").alias("minute_mean"),
                    (pl.col("valid_minutes") >= 45).alias("is_valid"),
                    pl.col(f"{p}_flag").alias("flag"),
                )
            )
            outlets.append(
                {
                    "mn": mn,
                    "pollutant_code": code,
                    "outlet_id": o.outlet_id,
                    "enterprise_id": o.enterprise_id,
                    "source_kind": o.source_kind,
                    "reference_o2": o.reference_o2,
                    "limit_mg_m3": o.limits[p],
                    "analyzer_range": o.analyzer_range[p],
                    "detection_limit": o.detection_limit[p],
                    "key_industry": o.key_industry,
                    "fuel": o.fuel,
                }
            )
        st = ot.hourly.select("time", "state")
        off = (st["state"] == "stopped").to_numpy()
        t = st["time"].to_list()
        stopped[mn] = [(t[i], t[j]) for i, j in true_runs(off)]
    routine: Periods = {}
    end = start + timedelta(days=days)
    for e in truth.events:
        if e.kind == "calibration":  # recorded once, repeated every day at the same time
            a = e.start.replace(minute=0)
            while a < end:
                routine.setdefault(e.mn, []).append((a, a))
                a += timedelta(days=1)
        elif e.kind == "maintenance":
            routine.setdefault(e.mn, []).append((e.start, e.end - timedelta(hours=1)))
    expected = [
        Label(
            "exceedance" if e.kind == "exceedance" else "missing_data",
            e.mn,
            POLLUTANT_CODES.get(e.pollutant) if e.pollutant else None,
            e.start,
            e.end - timedelta(hours=1),
        )
        for e in truth.events
        if e.kind in ("exceedance", "missing")
    ]
    hourly = pl.concat(parts, how="vertical_relaxed")
    info = {"source": "generator", "stopped": stopped, "routine": routine, "expected": expected}
    return hourly, pl.DataFrame(outlets), info


@dataclass(frozen=True)
class SimKind:
    """One kind of outlet for the fallback simulator. Ranges are drawn per outlet, in field order:
    the profile (only where there is a choice), the design flow, then each pollutant's base
    fraction of its limit."""

    outlet_id: str
    source_kind: str
    profiles: tuple[str, ...]
    reference_o2: float | None
    design_flow: tuple[float, float]
    o2_full: float
    o2_low: float
    temp_full: float
    # code, limit, span, detection limit, range of the base fraction
    pollutants: tuple[tuple[str, float, float, float, tuple[float, float]], ...]
    daily_calibration: bool = True


_SIM_KINDS = {
    "coal_boiler": SimKind(
        "DA001",
        "boiler",
        ("continuous",),
        9.0,
        (20, 60),
        6.5,
        11.5,
        130,
        (
            ("a34013", 10, 50, 1, (0.3, 0.6)),
            ("a21026", 35, 200, 3, (0.3, 0.6)),
            ("a21002", 50, 300, 3, (0.4, 0.7)),
        ),
    ),
    "gas_boiler": SimKind(
        "DA002",
        "boiler",
        ("two_shift", "continuous"),
        3.5,
        (4, 12),
        3.0,
        7.0,
        90,
        (
            ("a34013", 5, 20, 1, (0.2, 0.4)),
            ("a21026", 10, 50, 3, (0.3, 0.5)),
            ("a21002", 50, 200, 3, (0.4, 0.7)),
        ),
    ),
    "kiln": SimKind(
        "DA003",
        "kiln",
        ("continuous",),
        18.0,
        (15, 40),
        16.5,
        18.8,
        110,
        (
            ("a34013", 30, 100, 1, (0.2, 0.5)),
            ("a21026", 300, 1000, 3, (0.2, 0.5)),
            ("a21002", 200, 800, 3, (0.3, 0.6)),
        ),
    ),
    "biomass": SimKind(
        "DA004",
        "boiler",
        ("day_shift",),
        9.0,
        (5, 15),
        7.0,
        12.0,
        150,
        (
            ("a34013", 20, 100, 1, (0.3, 0.6)),
            ("a21026", 50, 200, 3, (0.2, 0.4)),
            ("a21002", 150, 500, 3, (0.4, 0.7)),
        ),
    ),
    "dust": SimKind(
        "DA005",
        "process",
        ("day_shift",),
        None,
        (3, 9),
        20.3,
        20.7,
        35,
        (("a34013", 10, 50, 1, (0.2, 0.5)),),
        daily_calibration=False,
    ),
    "voc": SimKind(
        "DA006",
        "voc",
        ("day_shift",),
        None,
        (4, 10),
        20.3,
        20.7,
        30,
        (("a24088", 60, 200, 0.07, (0.2, 0.5)),),
        daily_calibration=False,
    ),
}


def _sim_outlet(kind: SimKind, mn: str, enterprise_id: str, rng: np.random.Generator) -> OutletSpec:
    profile = kind.profiles[0] if len(kind.profiles) == 1 else str(rng.choice(list(kind.profiles)))
    # leave the simulator's default calibration hour alone unless the kind has none
    calibration = {} if kind.daily_calibration else {"calibration_hour": None}
    return OutletSpec(
        mn,
        kind.outlet_id,
        enterprise_id,
        kind.source_kind,
        profile,
        kind.reference_o2,
        rng.uniform(*kind.design_flow),
        kind.o2_full,
        kind.o2_low,
        kind.temp_full,
        [
            PollutantSpec(code, limit, span, dl, float(rng.uniform(*base)))
            for code, limit, span, dl, base in kind.pollutants
        ],
        **calibration,
    )


def _simulated_county(
    seed: int, days: int, start: datetime
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    kinds = (
        ["coal_boiler"] * 6
        + ["gas_boiler"] * 6
        + ["kiln"] * 6
        + ["dust"] * 4
        + ["voc"] * 4
        + ["biomass"] * 4
    )
    specs = [
        _sim_outlet(_SIM_KINDS[kind], f"41088{seed:03d}{i:05d}", f"E{seed:02d}{i // 2:03d}", rng)
        for i, kind in enumerate(kinds)
    ]
    parts, shutdowns, routine = [], {}, {}
    for i, s in enumerate(specs):
        sd = []
        if s.profile == "continuous" and i % 3 == 0:  # clean trap: a multi-day legitimate shutdown
            a = start + timedelta(
                days=int(rng.integers(5, days - 8)), hours=int(rng.integers(0, 24))
            )
            sd = [(a, a + timedelta(hours=int(rng.integers(30, 100))))]
        shutdowns[s.mn] = sd
        if s.calibration_hour is not None:
            routine[s.mn] = [
                (t, t)
                for t in (start + timedelta(days=d, hours=s.calibration_hour) for d in range(days))
            ]
        parts.append(simulate_outlet(s, start, days, seed * 1000 + i, sd))
    hourly = pl.concat(parts)
    outlets = pl.concat([outlet_rows(s) for s in specs])
    info = {"source": "simulator", "stopped": None, "routine": routine, "expected": []}
    return hourly, outlets, info


def add_high_legal_days(
    hourly: pl.DataFrame, outlets: pl.DataFrame, rng: np.random.Generator, exclude: set[str]
) -> tuple[pl.DataFrame, list[tuple[str, datetime]]]:
    """Clean trap: whole days running hot but legal (daily peak 0.9–0.97 of the limit)."""
    wb = Workbench.from_frames(hourly, outlets, int(rng.integers(1 << 30)))
    traps = []
    keys = [k for k in wb.cols if k[0] not in exclude]
    for k in [keys[i] for i in rng.choice(len(keys), size=min(6, len(keys)), replace=False)]:
        mn, pol = k
        c = wb.cols[k]
        midnights = [i for i in range(0, c["hour_start"].size - 24) if c["hour_start"][i].hour == 0]
        d = int(rng.choice(midnights))
        idx = np.arange(d, d + 24)
        run = wb.running(mn, pol)[idx]
        if run.sum() < 6:
            continue
        v = wb.compliance(mn, pol)[idx].astype(float)
        target = rng.uniform(0.9, 0.97) * float(wb.meta(mn, pol)["limit_mg_m3"])
        wb.set_converted(mn, pol, idx[run], v[run] * target / v[run].max())
        traps.append((mn, c["hour_start"][d]))
    return wb.frames()[0], traps


def inject(
    hourly: pl.DataFrame, outlets: pl.DataFrame, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, list[Label]]:
    """One case per anomaly type (world A's injector)."""
    wb = Workbench.from_frames(hourly, outlets, seed)
    allocate(wb, CASES, ANOMALY_TYPES, LONG_OR_DEVICE)
    hourly2, tests = wb.frames()
    return hourly2, tests, wb.labels


def build(seed: int, days: int = 61, start: datetime | None = None, source: str = "generator"):
    """World A for one seed: the clean county, one case per type, high-but-legal days."""
    start = start or datetime(2024, 2, 15)  # the heating season ends on 15 March
    hourly, outlets, info = clean_county(seed, days, start, source)
    injected, tests, labels = inject(hourly, outlets, seed)
    rng = np.random.default_rng(seed + 7)
    injected, _ = add_high_legal_days(injected, outlets, rng, {lab.mn for lab in labels})
    return World(
        name="A",
        seed=seed,
        days=days,
        outlets=outlets,
        clean=hourly,
        injected=injected,
        labels=labels,
        stopped=info["stopped"] or stopped_periods(hourly),
        routine=info["routine"],
        expected=info["expected"],
        stack_tests=tests,
        notes=f"data source: {info['source']}",
    )
