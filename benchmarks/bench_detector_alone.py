"""One statistical detector alone on world B's development seeds: its typed recall on the cases of
the kinds it reports, and its findings on the same data with no fault injected that lie near no
expected event of the clean data. A quick loop for studying one detector's misses and false
findings; the figures that count are `bench_detectors.py`'s, the whole engine on report seeds.

    uv run python benchmarks/bench_detector_alone.py py.step_rescale \\
        --kinds step_change rescaled_signal --seeds 811 812 ... [--list]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable

import polars as pl

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.scoring import overlaps
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import CROSS_SERIES, PER_SERIES, series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.series import Series


def findings(frame: pl.DataFrame, outlets: pl.DataFrame, tests: pl.DataFrame, name: str) -> list:
    """The rows the detector `name` (an engine name, e.g. py.step_rescale) reports on `frame`."""
    per_series = dict(PER_SERIES)
    cross: dict[str, Callable[..., None]] = dict(CROSS_SERIES)
    cfg = load_config()
    series: list[Series] = series_for_frames(DetectorInputs(frame, outlets, tests), cfg)
    fb = FindingsBuilder(name)
    if name in per_series:
        for s in series:
            per_series[name](s, cfg, fb)
    else:
        cross[name](series, cfg, fb)
    return fb.rows


def main() -> None:
    ap = argparse.ArgumentParser()
    names = [n for n, _ in (*PER_SERIES, *CROSS_SERIES)]
    ap.add_argument("detector", choices=names)
    ap.add_argument("--kinds", nargs="+", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--list", action="store_true", help="print every miss and false finding")
    args = ap.parse_args()
    hits: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    false: Counter[str] = Counter()
    outlet_months = 0.0
    for seed in args.seeds:
        w = world_b.build(seed)
        outlet_months += w.outlet_months
        found = findings(w.injected, w.outlets, w.stack_tests, args.detector)
        for lab in (x for x in w.labels if x.anomaly_type in args.kinds):
            ok = any(r["anomaly_type"] == lab.anomaly_type and overlaps(r, lab) for r in found)
            cases[lab.anomaly_type] += 1
            hits[lab.anomaly_type] += ok
            if args.list and not ok:
                print(f"miss  {seed} {lab.anomaly_type} {lab.mn} {lab.pollutant_code} {lab.start}")
        for r in findings(w.clean, w.outlets, w.clean_stack_tests, args.detector):
            if not any(r["anomaly_type"] == e.anomaly_type and overlaps(r, e) for e in w.expected):
                false[r["anomaly_type"]] += 1
                if args.list:
                    print(f"false {seed} {r['anomaly_type']} {r['mn']} {r['start_time']}")
    for kind in args.kinds:
        print(f"{kind:<28}{hits[kind]:>4}/{cases[kind]}")
    total = sum(false.values())
    print(
        f"false on the clean data: {total} in {outlet_months:.0f} outlet-months "
        f"({total / max(outlet_months, 1e-9):.4f} per outlet-month) {dict(false)}"
    )


if __name__ == "__main__":
    main()
