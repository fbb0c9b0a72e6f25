"""Fallback-accuracy benchmark of the emissions inventory (issue 9).

For each county-year: build it with every CEMS packet (truth: each monitored outlet's monthly
CEMS mass in `marts.cems_monthly`), then withhold the packets of half the CEMS outlets (chosen by
seed) before the cut-off (default 1 July) and build again. Reported per pollutant for the
withheld outlet-months: total estimate / total truth, median and p90 of |estimate/truth − 1|,
coverage, the methods behind the estimates; county totals per pollutant and method in both
builds; closure checks (VOC emitted vs bought, SO2 vs 2 × sulfur input, producing unit-months
without an estimate); time, CPU and peak RSS of each build.

Worlds: `generator:SEED` is the project's generator (`lantian generate`); `other:SEED` is a
second county-year made independently in `fallback/world/` (its README says how it differs).

    uv run python benchmarks/bench_inventory_fallback.py [--worlds generator:2023 generator:7
        other:11] [--start 2023-01-01] [--days 365] [--record] [--score-only]

Work files (sources, warehouses, build logs) go to benchmarks/out/inventory_fallback/<world>/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fallback import report
from fallback.builds import BuildRun, run_build
from fallback.score import Warehouses, summarise
from fallback.withhold import choose_outlets, copy_withholding

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "bench_inventory_fallback_results.txt"
DEFAULT_WORK = HERE / "out" / "inventory_fallback"
DEFAULT_WORLDS = ("generator:2023", "generator:7", "other:11")


@dataclass(frozen=True)
class World:
    kind: str  # generator | other
    seed: int

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.seed}"


def parse_world(text: str) -> World:
    kind, _, seed = text.partition(":")
    if kind not in ("generator", "other") or not seed.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"world must be generator:SEED or other:SEED, not {text}")
    return World(kind, int(seed))


def produce(world: World, out: Path, args: argparse.Namespace) -> tuple[str, list[str]]:
    """Write the world's sources into `out`; (how it was made, extra report lines)."""
    if world.kind == "generator":
        from dagster_project.generator import generate

        s = generate(
            out, seed=world.seed, start=args.start, days=args.days, enterprises=args.enterprises
        )
        how = (
            f"lantian generate --seed {world.seed} --start {args.start} --days {args.days} "
            f"--enterprises {args.enterprises}"
        )
        return how, [
            f"sources: {s.enterprises} enterprises, {s.outlets} outlets "
            f"({s.monitored_outlets} with CEMS), {s.hourly_packets} hourly packets"
        ]
    from fallback.world import write_world

    truth = args.work / world.name / "world_truth.csv"
    w = write_world(out, seed=world.seed, start=args.start, days=args.days, truth_csv=truth)
    how = f"fallback/world seed {world.seed} --start {args.start} --days {args.days}"
    return how, w.summary_lines()


def run_world(world: World, args: argparse.Namespace) -> list[str]:
    wdir: Path = args.work / world.name
    full_src, held_src = wdir / "sources_full", wdir / "sources_withheld"
    full_db, held_db = wdir / "full.duckdb", wdir / "withheld.duckdb"
    before = datetime.combine(
        args.withhold_before or date(args.start.year, 7, 1), datetime.min.time()
    )
    lines: list[str] = []
    runs: list[BuildRun] = []
    if args.score_only:
        lines.append(f"== {world.name} (scored from existing builds in {_rel(wdir)})")
    else:
        wdir.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        how, extra = produce(world, full_src, args)
        lines.append(f"== {world.name}: {how} ({time.perf_counter() - t:.0f} s)")
        lines += extra
        for db in (full_db, held_db):
            db.unlink(missing_ok=True)
        runs.append(run_build("full", full_src, full_db, wdir / "exports_full", wdir / "full.log"))
    with Warehouses(full_db) as w:
        chosen = choose_outlets(w.monitored_mns(before), args.withhold_seed or world.seed)
    if not args.score_only:
        withheld = copy_withholding(full_src, held_src, chosen, before)
        lines.append(
            f"withheld: {len(chosen)} CEMS outlets before {before:%Y-%m-%d} "
            f"({withheld.lines_dropped} packet lines dropped, {withheld.files_removed} logs "
            f"emptied and removed, {withheld.files_rewritten} rewritten)"
        )
        runs.append(
            run_build(
                "withheld", held_src, held_db, wdir / "exports_withheld", wdir / "withheld.log"
            )
        )
    else:
        lines.append(f"withheld: {len(chosen)} CEMS outlets before {before:%Y-%m-%d}")
    lines.append("withheld MNs: " + " ".join(chosen))
    lines += [r.line() for r in runs]
    with Warehouses(full_db, held_db) as w:
        scores = summarise(w.outlet_months(chosen, before))
        lines.append(
            "withheld outlet-months (truth: the full build's CEMS mass; a missing estimate "
            "counts as 0):"
        )
        lines += report.score_table(scores)
        lines += report.method_table(scores)
        lines += report.totals_table(w.county_totals("fb"), w.county_totals("wb"))
        for db, label in (("fb", "full"), ("wb", "withheld")):
            closure = report.Closure(
                w.voc_balance(db), w.sulfur_balance(db), w.producing_unit_months(db)
            )
            lines += closure.lines(label)
    if world.kind == "other" and (wdir / "world_truth.csv").exists():
        from fallback.world.truth import truth_lines

        end = args.start + timedelta(days=args.days)
        lines += truth_lines(wdir / "world_truth.csv", full_db, held_db, args.start, end)
    return lines


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worlds", nargs="+", type=parse_world, default=None, metavar="KIND:SEED")
    p.add_argument("--start", type=date.fromisoformat, default=date(2023, 1, 1))
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--enterprises", type=int, default=60, help="generator worlds only")
    p.add_argument(
        "--withhold-before",
        type=date.fromisoformat,
        default=None,
        help="drop withheld outlets' packets before this date (default: 1 July of the start year)",
    )
    p.add_argument("--withhold-seed", type=int, default=None, help="default: the world's seed")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--score-only", action="store_true", help="score the builds already in --work")
    p.add_argument("--record", action="store_true", help="append the report to --results")
    p.add_argument("--results", type=Path, default=RESULTS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    worlds = args.worlds or [parse_world(w) for w in DEFAULT_WORLDS]
    header = [
        f"# {time.strftime('%Y-%m-%d %H:%M')}  commit {_commit()}  "
        f"load average {os.getloadavg()[0]:.1f} (2 shared cores: timings are noisy)",
        "# uv run python benchmarks/bench_inventory_fallback.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
    ]
    print("\n".join(header), flush=True)
    lines = list(header)
    for world in worlds:
        out = run_world(world, args)
        print("\n".join(out), flush=True)
        lines += out
    if args.record:
        with args.results.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
