"""Detector benchmark on two labelled worlds, side by side, with the platform rule set on each.

World A (tuning): the county generator's clean truth with world A's fault injector, one case per
anomaly type per seed, plus clean traps (shutdowns, daily calibrations, maintenance, days running
hot but legal). Thresholds in thresholds.toml are tuned on its tuning seed only.
World B (report): plants, noise, operation and faults made apart from world A
(`benchmarks/detector_worlds/world_b`), never used for tuning.

Per world: typed recall per anomaly type with a 95 % Wilson interval, overall recall, false
episodes per outlet-month (with the faults injected, and on the same data with none), false
findings during legitimate shutdowns and routine calibration/maintenance marks, runtime; the same
for the platform rule set (exceedance, zero, exact constant, negative, over-range, missing).

    uv run python benchmarks/bench_detectors.py [--a-seeds 31 32 33 34 35] [--b-seeds 101 ...]
        [--tuning-seed 1] [--only a|b] [--record benchmarks/bench_detectors_results.txt]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.detector_worlds import world_a, world_b
from benchmarks.detector_worlds.platform_rules import PLATFORM_TYPES, platform_findings
from benchmarks.detector_worlds.scoring import Score, score, wilson
from benchmarks.detector_worlds.world import World
from dagster_project.detectors.engine import detect_frames
from dagster_project.detectors.findings import ANOMALY_TYPES
from dagster_project.detectors.inputs import DetectorInputs


@dataclass
class WorldRun:
    """Scores of one detector set over the report seeds of one world."""

    hits: list[tuple[str, bool]] = field(default_factory=list)
    injected: list[Score] = field(default_factory=list)
    clean: list[Score] = field(default_factory=list)
    outlet_months: float = 0.0
    seconds: float = 0.0
    rows: int = 0


def run_world(
    build: Callable[[int], World], seeds: list[int], log: Callable[[str], None]
) -> tuple[WorldRun, WorldRun, list[World]]:
    ours, platform, worlds = WorldRun(), WorldRun(), []
    for seed in seeds:
        t0 = time.perf_counter()
        w = build(seed)
        worlds.append(w)
        for run, detect in ((ours, detect_frames), (platform, platform_findings)):
            t1 = time.perf_counter()
            found = detect(DetectorInputs(w.injected, w.outlets, w.stack_tests))
            run.seconds += time.perf_counter() - t1
            s = score(found, w.labels, w.expected, w.stopped, w.routine)
            run.hits += s.hits
            run.injected.append(s)
            clean = detect(DetectorInputs(w.clean, w.outlets, w.clean_stack_tests))
            run.clean.append(score(clean, [], w.expected, w.stopped, w.routine))
            run.outlet_months += w.outlet_months
            run.rows += w.injected.height
        log(
            f"  world {w.name} seed {seed}: {len(w.labels)} cases, "
            f"{w.outlets['mn'].n_unique()} outlets × {w.days} days "
            f"({time.perf_counter() - t0:.0f} s) {w.notes}"
        )
    return ours, platform, worlds


def _recall(hits: list[tuple[str, bool]], kind: str | None = None) -> str:
    xs = [h for t, h in hits if kind is None or t == kind]
    if not xs:
        return "-"
    k, n = sum(xs), len(xs)
    lo, hi = wilson(k, n)
    return f"{k}/{n} [{lo:.0%}-{hi:.0%}]"


def _false_line(label: str, scores: list[Score], outlet_months: float) -> str:
    n = sum(len(s.false) for s in scores)
    by_type: Counter[str] = Counter()
    for s in scores:
        by_type.update(s.false_by_type)
    return (
        f"  {label:<26}{n:>5} = {n / outlet_months:.3f} per outlet-month; "
        f"during shutdowns {sum(s.in_shutdown for s in scores)}, "
        f"during routine marks {sum(s.in_routine for s in scores)}; by type {dict(by_type)}"
    )


def report(
    runs: dict[str, tuple[WorldRun, WorldRun]], tuning: dict[str, bool], seeds: dict[str, list[int]]
) -> list[str]:
    names = list(runs)
    out = [
        "recall with the right type; [95 % Wilson interval]; tuning = world A's tuning seed",
        "",
        f"{'anomaly_type':<28}{'tuning':>7}"
        + "".join(f"{'world ' + n + ' ours':>22}{'world ' + n + ' platform':>22}" for n in names),
    ]
    for t in ANOMALY_TYPES:
        tune = tuning.get(t)
        row = f"{t:<28}{('hit' if tune else 'miss') if tune is not None else '-':>7}"
        for n in names:
            ours, platform = runs[n]
            base = _recall(platform.hits, t) if t in PLATFORM_TYPES else "(no rule)"
            row += f"{_recall(ours.hits, t):>22}{base:>22}"
        out.append(row)
    out.append("")
    for n in names:
        ours, platform = runs[n]
        out.append(f"world {n} (seeds {seeds[n]}; {ours.outlet_months:.0f} outlet-months):")
        out.append(
            f"  overall recall  ours {_recall(ours.hits)}   platform {_recall(platform.hits)}"
        )
        out.append(_false_line("ours, faults injected", ours.injected, ours.outlet_months))
        out.append(_false_line("ours, clean data", ours.clean, ours.outlet_months))
        out.append(
            _false_line("platform, faults injected", platform.injected, platform.outlet_months)
        )
        out.append(_false_line("platform, clean data", platform.clean, platform.outlet_months))
        out.append(
            f"  runtime: detectors {ours.seconds:.1f} s, platform rule set "
            f"{platform.seconds:.1f} s (ratio {ours.seconds / max(platform.seconds, 1e-9):.1f}x) "
            f"for {ours.rows} outlet-pollutant-hours"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a-seeds", type=int, nargs="*", default=[31, 32, 33, 34, 35])
    ap.add_argument("--b-seeds", type=int, nargs="*", default=list(range(101, 111)))
    ap.add_argument("--tuning-seed", type=int, default=1)
    ap.add_argument("--only", choices=("a", "b"))
    ap.add_argument("--source", choices=("generator", "simulator"), default="generator")
    ap.add_argument("--record", type=Path, help="also write the report to this file")
    args = ap.parse_args()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    runs: dict[str, tuple[WorldRun, WorldRun]] = {}
    seeds: dict[str, list[int]] = {}
    tuning: dict[str, bool] = {}
    if args.only != "b":

        def build_a(seed: int) -> World:
            return world_a.build(seed, source=args.source)

        tune, _, _ = run_world(build_a, [args.tuning_seed], log)
        tuning = {t: h for t, h in tune.hits}
        if args.a_seeds:
            ours, platform, _ = run_world(build_a, args.a_seeds, log)
            runs["A"], seeds["A"] = (ours, platform), args.a_seeds
    if args.only != "a" and args.b_seeds:
        ours, platform, _ = run_world(world_b.build, args.b_seeds, log)
        runs["B"], seeds["B"] = (ours, platform), args.b_seeds
    argv = sys.argv[1:]
    if "--record" in argv:  # the command as run, without where its report was written
        i = argv.index("--record")
        argv = argv[:i] + argv[i + 2 :]
    lines = [
        " ".join(["# uv run python benchmarks/bench_detectors.py", *argv]),
        *report(runs, tuning, seeds),
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        args.record.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
