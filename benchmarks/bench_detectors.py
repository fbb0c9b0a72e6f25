"""Detector benchmark: a fault injector over clean data, one case per anomaly type plus clean traps
(legitimate shutdowns, routine daily calibrations, high-but-legal days).

Prints recall per type, false episodes per outlet-month, false findings during shutdowns, and the
same figures for the platform rule set (exceedance, zero, exact-constant N consecutive, negative,
over-range/T flag, missing) on the same data. Thresholds come from thresholds.toml; they are tuned
on the tuning seed only, and the report seeds are data the thresholds never saw.

    uv run python benchmarks/bench_detectors.py [--seeds 11 12 13] [--tuning-seed 1] [--days 61]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds.faults import CASES, Label, Workbench
from benchmarks.detector_worlds.simulate import (
    OutletSpec,
    PollutantSpec,
    outlet_rows,
    simulate_outlet,
)
from dagster_project.detectors.engine import detect_frames
from dagster_project.detectors.findings import ANOMALY_TYPES, FINDINGS_SCHEMA
from dagster_project.detectors.inputs import DetectorInputs

BASELINE_TYPES = (
    "exceedance",
    "zero_while_operating",
    "constant_value",
    "negative_value",
    "over_range",
    "missing_data",
)
SLACK = timedelta(hours=24)


def true_runs(
    mask: np.ndarray, joined: Callable[[int], bool] | None = None
) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in `mask`; `joined(j)` can refuse to let hour j + 1
    continue hour j's run (a gap in the time grid), which starts a new run there."""
    runs, i = [], 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j + 1 < len(mask) and mask[j + 1] and (joined is None or joined(j)):
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


# ------------------------------------------------------------------------------ clean county
def clean_county(
    seed: int, days: int, start: datetime, source: str = "generator"
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Clean frames from the county generator's physical truth (or the detectors' own simulator)."""
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
                }
            )
        st = ot.hourly.select("time", "state")
        off = (st["state"] == "stopped").to_numpy()
        t = st["time"].to_list()
        stopped[mn] = [(t[i], t[j]) for i, j in true_runs(off)]
    codes = {v: k for k, v in POLLUTANT_CODES.items()}
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
    del codes
    hourly = pl.concat(parts, how="vertical_relaxed")
    return (
        hourly,
        pl.DataFrame(outlets),
        {"source": "generator", "stopped": stopped, "expected": expected},
    )


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
    parts, shutdowns = [], {}
    for i, s in enumerate(specs):
        sd = []
        if s.profile == "continuous" and i % 3 == 0:  # clean trap: a multi-day legitimate shutdown
            a = start + timedelta(
                days=int(rng.integers(5, days - 8)), hours=int(rng.integers(0, 24))
            )
            sd = [(a, a + timedelta(hours=int(rng.integers(30, 100))))]
        shutdowns[s.mn] = sd
        parts.append(simulate_outlet(s, start, days, seed * 1000 + i, sd))
    hourly = pl.concat(parts)
    outlets = pl.concat([outlet_rows(s) for s in specs])
    return hourly, outlets, {"source": "simulator", "stopped": None, "expected": []}


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


# ------------------------------------------------------------------------------ injection
def inject(
    hourly: pl.DataFrame, outlets: pl.DataFrame, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, list[Label]]:
    wb = Workbench.from_frames(hourly, outlets, seed)
    keys = list(wb.cols)
    long_or_device = {
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
    taken: set[tuple[str, str]] = set()
    for t in ANOMALY_TYPES:
        order = [int(i) for i in wb.rng.permutation(len(keys))]
        # one case per outlet where possible, so cases do not mask each other; a reused outlet
        # only for short pollutant-level cases on a pollutant not yet touched
        fresh = [i for i in order if keys[i][0] not in wb.used]
        reuse = [
            i
            for i in order
            if keys[i][0] in wb.used
            and keys[i] not in taken
            and t not in long_or_device
            and not any(
                lab.mn == keys[i][0] and lab.anomaly_type in long_or_device for lab in wb.labels
            )
        ]
        for i in fresh + reuse:
            mn, pol = keys[i]
            if CASES[t](wb, mn, pol):
                taken.add((mn, pol))
                break
    hourly2, tests = wb.frames()
    return hourly2, tests, wb.labels


# ------------------------------------------------------------------------------ platform baseline
def baseline_findings(
    inputs: DetectorInputs, cfg_hours: int = 4, zero_hours: int = 3
) -> pl.DataFrame:
    """The platform rule set: exceedance, zero (N consecutive, no physics), exact constant for N
    consecutive hours, negative, over-range (T flag or > span), missing hours. Marks are trusted:
    a marked hour is not judged."""
    rows = []
    meta = {(r["mn"], r["pollutant_code"]): r for r in inputs.outlets.iter_rows(named=True)}
    for (mn, pol), g in inputs.hourly.group_by(["mn", "pollutant_code"]):
        g = g.sort("hour_start")
        m = meta[(mn, pol)]
        t = g["hour_start"].to_list()
        x = g["avg_measured"].to_numpy()
        comp = (
            g["avg_converted"] if m["reference_o2"] is not None else g["avg_measured"]
        ).to_numpy()
        flag = g["flag"].to_list()

        def add(kind: str, start: datetime, end: datetime, mn: str = mn, pol: str = pol) -> None:
            rows.append(
                {
                    "mn": mn,
                    "pollutant_code": pol,
                    "anomaly_type": kind,
                    "start_time": start,
                    "end_time": end,
                }
            )

        def runs_of(mask: np.ndarray, min_len: int, kind: str, t: list = t) -> None:
            # a run is N consecutive grid hours: a missing hour breaks it
            for i, j in true_runs(mask, lambda j: t[j + 1] - t[j] == timedelta(hours=1)):
                if j - i + 1 >= min_len:
                    add(kind, t[i], t[j])

        normal = np.array([f == "N" for f in flag])
        runs_of(normal & (comp > m["limit_mg_m3"]), 1, "exceedance")
        runs_of(normal & (x == 0), zero_hours, "zero_while_operating")
        same = np.r_[False, x[1:] == x[:-1]]
        runs_of(same | np.r_[same[1:], False], cfg_hours, "constant_value")
        runs_of(x < 0, 1, "negative_value")
        runs_of(np.array([f == "T" for f in flag]) | (x > m["analyzer_range"]), 1, "over_range")
        gaps = [i for i in range(1, len(t)) if t[i] - t[i - 1] > timedelta(hours=1)]
        for i in gaps:
            add("missing_data", t[i - 1] + timedelta(hours=1), t[i] - timedelta(hours=1))
    return pl.DataFrame(
        rows,
        schema={
            k: FINDINGS_SCHEMA[k]
            for k in ("mn", "pollutant_code", "anomaly_type", "start_time", "end_time")
        },
    )


# ------------------------------------------------------------------------------ scoring
def _overlaps(f: dict, lab: Label) -> bool:
    return (
        f["mn"] == lab.mn
        and f["start_time"] <= lab.end + SLACK
        and f["end_time"] >= lab.start - SLACK
        and (lab.pollutant_code is None or f["pollutant_code"] in (None, lab.pollutant_code))
    )


def score(
    findings: pl.DataFrame,
    labels: list[Label],
    stopped: dict[str, list[tuple[datetime, datetime]]],
    outlet_months: float,
    expected: list[Label] | None = None,
) -> dict:
    """Recall per injected type (right type, same outlet/pollutant, overlapping window ± 24 h);
    false = findings near no injected case and no expected event of the clean data (the
    generator's real exceedances and logger outages, matched with their own type)."""
    rows = findings.select(
        "mn", "pollutant_code", "anomaly_type", "start_time", "end_time"
    ).to_dicts()
    hit = {
        lab.anomaly_type: any(
            f["anomaly_type"] == lab.anomaly_type and _overlaps(f, lab) for f in rows
        )
        for lab in labels
    }
    exp = expected or []
    false = [
        f
        for f in rows
        if not any(_overlaps(f, lab) for lab in labels)
        and not any(f["anomaly_type"] == e.anomaly_type and _overlaps(f, e) for e in exp)
    ]
    # raised during a shutdown: the finding starts while the unit is stopped or at its restart
    in_shutdown = [
        f
        for f in false
        if any(a <= f["start_time"] <= b + timedelta(hours=1) for a, b in stopped.get(f["mn"], []))
    ]
    by_type = defaultdict(int)
    for f in false:
        by_type[f["anomaly_type"]] += 1
    return {
        "hit": hit,
        "false": len(false),
        "false_per_outlet_month": len(false) / outlet_months,
        "shutdown_false": len(in_shutdown),
        "false_by_type": dict(by_type),
    }


def stopped_periods(hourly: pl.DataFrame) -> dict[str, list[tuple[datetime, datetime]]]:
    """Truth shutdown periods (flow near zero and ambient O2) per outlet, from the clean data."""
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    dev = (
        hourly.group_by("mn", "hour_start")
        .agg(pl.col("flow_m3_s").first(), pl.col("o2").first())
        .sort("mn", "hour_start")
    )
    for (mn,), g in dev.group_by(["mn"]):
        g = g.sort("hour_start")
        p95 = float(np.nanpercentile(g["flow_m3_s"].to_numpy(), 95))
        off = g["flow_m3_s"].to_numpy() < 0.1 * p95
        t = g["hour_start"].to_list()
        for i, j in true_runs(off):
            out.setdefault(mn, []).append((t[i], t[j]))
    return out


def run_seed(seed: int, days: int, start: datetime, source: str) -> dict:
    hourly, outlets, info = clean_county(seed, days, start, source)
    stopped = info["stopped"] or stopped_periods(hourly)
    expected: list[Label] = info["expected"]
    rng = np.random.default_rng(seed + 7)
    injected, tests, labels = inject(hourly, outlets, seed)
    used = {lab.mn for lab in labels}
    injected, traps = add_high_legal_days(injected, outlets, rng, used)
    n_outlets = outlets["mn"].n_unique()
    outlet_months = n_outlets * days / 30.4
    t0 = time.perf_counter()
    findings = detect_frames(DetectorInputs(injected, outlets, tests))
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    base = baseline_findings(DetectorInputs(injected, outlets, tests))
    baseline_seconds = time.perf_counter() - t1
    # the same county with no injection at all: false findings only
    clean_findings = detect_frames(DetectorInputs(hourly, outlets))
    return {
        "seed": seed,
        "source": info["source"],
        "outlets": n_outlets,
        "outlet_months": outlet_months,
        "labels": labels,
        "ours": score(findings, labels, stopped, outlet_months, expected),
        "baseline": score(base, labels, stopped, outlet_months, expected),
        "clean_ours": score(clean_findings, [], stopped, outlet_months, expected),
        "clean_baseline": score(
            baseline_findings(DetectorInputs(hourly, outlets)), [], stopped, outlet_months, expected
        ),
        "seconds": seconds,
        "baseline_seconds": baseline_seconds,
        "hours": hourly.height,
        "traps": len(traps),
        "expected": len(expected),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    ap.add_argument("--tuning-seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=61)
    ap.add_argument("--tuning-only", action="store_true")
    ap.add_argument("--source", choices=("generator", "simulator"), default="generator")
    ap.add_argument("--start", default="2024-02-15", help="first day (heating season ends 15 Mar)")
    args = ap.parse_args()
    start = datetime.fromisoformat(args.start)
    seeds = [args.tuning_seed] if args.tuning_only else [args.tuning_seed, *args.seeds]
    results = [run_seed(s, args.days, start, args.source) for s in seeds]
    report = [r for r in results if r["seed"] != args.tuning_seed] or results
    print(
        f"data source: {results[0]['source']}; {results[0]['outlets']} outlets × {args.days} days; "
        f"tuning seed {args.tuning_seed}; report seeds {[r['seed'] for r in report]}"
    )
    print(f"\n{'anomaly_type':<28}{'tuning':>8}{'report recall':>15}{'baseline recall':>17}")
    for t in ANOMALY_TYPES:
        tune = next(
            (r["ours"]["hit"].get(t) for r in results if r["seed"] == args.tuning_seed), None
        )
        ours = [r["ours"]["hit"][t] for r in report if t in r["ours"]["hit"]]
        base = [r["baseline"]["hit"][t] for r in report if t in r["baseline"]["hit"]]
        print(
            f"{t:<28}{('hit' if tune else 'miss') if tune is not None else '-':>8}"
            f"{sum(ours):>8}/{len(ours):<6}{sum(base):>10}/{len(base):<6}"
        )
    n_cases = sum(len(r["ours"]["hit"]) for r in report)
    n_ours = sum(sum(r["ours"]["hit"].values()) for r in report)
    n_base = sum(sum(r["baseline"]["hit"].values()) for r in report)
    om = sum(r["outlet_months"] for r in report)
    print(
        f"\noverall recall (right type): ours {n_ours}/{n_cases} = {n_ours / n_cases:.1%}; "
        f"baseline {n_base}/{n_cases} = {n_base / n_cases:.1%}"
    )
    for name in ("ours", "baseline", "clean_ours", "clean_baseline"):
        false = sum(r[name]["false"] for r in report)
        sd = sum(r[name]["shutdown_false"] for r in report)
        by_type: dict[str, int] = defaultdict(int)
        for r in report:
            for k, v in r[name]["false_by_type"].items():
                by_type[k] += v
        print(
            f"{name:<15} false episodes {false:>5} = {false / om:.3f} per outlet-month "
            f"({om:.0f} outlet-months); during shutdowns {sd}; by type {dict(by_type)}"
        )
    secs = sum(r["seconds"] for r in report)
    base_secs = sum(r["baseline_seconds"] for r in report)
    hours = sum(r["hours"] for r in report)
    print(
        f"\nruntime: detectors {secs:.1f} s, platform rule set {base_secs:.1f} s "
        f"(ratio {secs / max(base_secs, 1e-9):.1f}x) for {hours} outlet-pollutant-hours "
        f"({hours / max(secs, 1e-9):,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
