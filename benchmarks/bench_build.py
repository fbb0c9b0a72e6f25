"""`lantian build` on generated county-years, and the nightly increment, timed as processes.

For a county of N CEMS outlets (a third of them sending minute data), the year 2023:
  * the county is generated once into benchmarks/out/county<N>/ (`lantian generate
    --cems-outlets N --minute-share 0.3333 --days 365 --gzip-level 1`);
  * baseline, in the same run: DuckDB loading every packet log of the county as raw lines
    (read_csv, one varchar column, gzip read by DuckDB), as a process;
  * full build: `lantian build --full-refresh` into benchmarks/out/wh<N>/: wall and CPU
    seconds, peak memory (the largest process, and the largest sampled sum over the process
    tree: the build and its dbt child);
  * nightly (`--nightly`): one more day (2024-01-01) of the same county, generated on its own,
    its packet logs added to the sources as new files; `lantian build` again on the built year;
    baseline: DuckDB's raw line load of those new logs. `--landing daily` (the default) adds a
    log per outlet (<MN>_20240101.log.gz, a platform's daily export); `--landing hourly` adds
    the day as a receiving station lands it (receiver/landing.py): one plain log per MN and
    hour, cems/landing/<MN>/<YYYYMMDDHH>.log, ~2,400 files for 100 outlets.
`--nightly-only` restores the built year kept by the last full build (benchmarks/out/year<N>/,
a copy of the warehouse folder taken before the nightly) and times the nightly increment alone.
`--record` appends the report to benchmarks/bench_build_results.txt. Generated data and
warehouses stay under benchmarks/out/ (gitignored); a 300-outlet year is ~12 GB of gzip logs.

    uv run python benchmarks/bench_build.py --outlets 26 [100 300] [--nightly | --nightly-only]
        [--landing daily|hourly] [--record]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from process_timer import Run, run  # noqa: E402

OUT = HERE / "out"
RESULTS = HERE / "bench_build_results.txt"
BIN = Path(sys.executable).parent
YEAR_START, YEAR_DAYS, NEXT_DAY = "2023-01-01", 365, "2024-01-01"
MINUTE_SHARE = "0.3333"


def _env() -> dict[str, str]:
    return {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _generate(out: Path, outlets: int, start: str, days: int) -> None:
    if (out / "README.md").exists():
        return
    cmd = [str(BIN / "lantian"), "generate", "--out", str(out), "--start", start]
    cmd += ["--days", str(days), "--cems-outlets", str(outlets)]
    cmd += ["--minute-share", MINUTE_SHARE, "--gzip-level", "1"]
    result = run(cmd, env=_env())
    assert result.returncode == 0, result.output[-3000:]
    print(result.output.splitlines()[0], f"({result.seconds:.0f} s)")


def logs_of(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "cems").rglob("*") if p.is_file())


# Above this much gzip the raw lines no longer fit in memory beside the rest of the machine's
# work (26 outlets: 1.15 GB of gzip, 4.96 GB peak in memory): the baseline loads them into a
# database file instead, as the build does.
IN_MEMORY_MAX_GB = 2.0


def duckdb_lines(files: list[Path]) -> Run:
    """DuckDB loading the logs as raw lines, as a process (the baseline): into memory, or into a
    database file under benchmarks/out/ when they are too many for memory."""
    gz = sum(p.stat().st_size for p in files) / 1e9
    where = [] if gz <= IN_MEMORY_MAX_GB else ["--into", str(OUT / "baseline.duckdb")]
    result = run([sys.executable, __file__, *where, "--duckdb-load", *map(str, files)])
    (OUT / "baseline.duckdb").unlink(missing_ok=True)
    return result


def baseline_label(files: list[Path]) -> str:
    gz = sum(p.stat().st_size for p in files) / 1e9
    return "into memory" if gz <= IN_MEMORY_MAX_GB else "into a database file"


def _duckdb_load(files: list[str], into: str | None) -> None:
    import duckdb

    con = duckdb.connect(into or ":memory:")
    listed = ", ".join(f"'{f}'" for f in files)
    con.execute(
        f"""create table lines as select * from read_csv([{listed}],
            columns={{'line': 'varchar'}}, header=false, delim='\\0', quote='', escape='',
            auto_detect=false)"""
    )
    print(con.execute("select count(*) from lines").fetchone()[0])


def build(sources: Path, warehouse: Path, full_refresh: bool) -> Run:
    cmd = [str(BIN / "lantian"), "build", "--sources", str(sources)]
    cmd += ["--warehouse", str(warehouse), "--exports", str(warehouse.parent / "exports")]
    result = run([*cmd, "--full-refresh"] if full_refresh else cmd, env=_env())
    assert result.returncode == 0, result.output[-3000:]
    return result


def step_seconds(state: Path, limit: int = 6) -> list[str]:
    """The longest steps of the latest build's Dagster run (wall seconds), from the warehouse's
    state folder (the build records its runs there)."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(state / "dagster_home")
    instance = dg.DagsterInstance.get()
    run_ = instance.get_runs(limit=1)[0]
    stats = [s for s in instance.get_run_step_stats(run_.run_id) if s.end_time and s.start_time]
    stats.sort(key=lambda s: s.start_time - s.end_time)
    return [f"{s.step_key} {s.end_time - s.start_time:.0f} s" for s in stats[:limit]]


def detector_seconds(state: Path, limit: int = 6) -> list[str]:
    """The slowest detectors of the latest build (its monitoring_anomalies materialization)."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(state / "dagster_home")
    event = dg.DagsterInstance.get().get_latest_materialization_event(
        dg.AssetKey(["marts", "monitoring_anomalies"])
    )
    mat = event.asset_materialization if event else None
    timed = mat.metadata.get("detector_seconds") if mat else None
    if timed is None:
        return []
    found = sorted(dict(timed.value).items(), key=lambda kv: -float(kv[1]))
    return [f"{name} {float(s):.0f} s" for name, s in found[:limit]]


def dbt_breakdown(state: Path) -> str:
    """The latest build's dbt nodes by kind (its run_results.json): count and node-seconds, and
    how many of them are on the CEMS models (name containing "cems")."""
    import json

    runs = sorted(
        (state / "builds").glob("*/dbt/run_results.json"), key=lambda p: p.stat().st_mtime
    )
    if not runs:
        return ""
    kinds: dict[str, list[float]] = {}
    for r in json.loads(runs[-1].read_text())["results"]:
        kind = r["unique_id"].split(".")[0]
        cems = "cems" in r["unique_id"]
        for key in (kind, f"{kind} on CEMS models" if cems else None):
            if key:
                kinds.setdefault(key, []).append(float(r.get("execution_time") or 0))
    return ", ".join(f"{k} {len(v)} ({sum(v):.0f} s)" for k, v in sorted(kinds.items()))


def dbt_seconds(state: Path, limit: int = 5) -> list[str]:
    """The longest dbt nodes of the latest build (its build log in the state folder)."""
    logs = sorted((state / "builds").glob("*/build.log"), key=lambda p: p.stat().st_mtime)
    if not logs:
        return []
    found = re.findall(
        r"(?:OK created \S+ \S+ model|PASS) (\S+) .*?in ([0-9.]+)s\]", logs[-1].read_text()
    )
    found.sort(key=lambda x: -float(x[1]))
    return [f"{name} {float(s):.0f} s" for name, s in found[:limit]]


def ledger_feeds_kept(output: str) -> str:
    """How many ledger feeds the build left as they were (all their files unchanged), from the
    feed table of its summary."""
    table = output.split("\nfeed ", 1)[-1].split("\ntotal", 1)[0].splitlines()[1:]
    feeds = [x.split()[0] for x in table if x.strip() and not x.startswith("cems ")]
    kept = [x.split()[0] for x in table if "unchanged files skipped" in x and x.split()[1] == "0"]
    kept = [f for f in kept if f != "cems"]
    return f"ledger feeds not read again (files unchanged): {len(kept)} of {len(feeds)}"


def _repo_relative(text: str) -> str:
    """Paths in the build's output relative to the checkout (also where benchmarks/out is a link
    to another disk)."""
    text = text.replace(f"{OUT.resolve()}/", "benchmarks/out/")
    return text.replace(f"{HERE.parent}/", "")


def _line(label: str, r: Run) -> str:
    return (
        f"  {label}: {r.seconds:.1f} s ({r.cpu_seconds:.0f} CPU-s), peak RSS "
        f"{r.max_process_rss_mb / 1024:.2f} GB (one process), "
        f"{r.max_tree_rss_mb / 1024:.2f} GB (process tree)"
    )


def where_time_went(state: Path) -> list[str]:
    """The latest build's longest steps, dbt nodes and detectors (their seconds summed over the
    processes that ran them), and dbt's nodes by kind."""
    return [
        f"    longest steps: {', '.join(step_seconds(state))}",
        f"    longest dbt nodes: {', '.join(dbt_seconds(state))}",
        f"    slowest detectors (summed over processes): {', '.join(detector_seconds(state))}",
        f"    dbt nodes by kind: {dbt_breakdown(state)}",
    ]


def full_year(outlets: int) -> list[str]:
    """Generate (once) and build the county-year; keep a copy of the built year for
    `--nightly-only`."""
    sources = OUT / f"county{outlets}"
    _generate(sources, outlets, YEAR_START, YEAR_DAYS)
    logs = logs_of(sources)
    for stale in logs:  # an earlier --nightly run's day: the year only
        if f"_{NEXT_DAY.replace('-', '')}" in stale.name:
            stale.unlink()
    logs = logs_of(sources)
    gz = sum(p.stat().st_size for p in logs) / 1e9
    wh = OUT / f"wh{outlets}"
    shutil.rmtree(wh, ignore_errors=True)
    wh.mkdir(parents=True)
    base = duckdb_lines(logs)
    full = build(sources, wh / "warehouse.duckdb", full_refresh=True)
    lines = [
        f"county-year: {outlets} CEMS outlets, minute data from a third, {YEAR_DAYS} days; "
        f"{len(logs)} logs, {gz:.2f} GB gzip",
        _line(f"DuckDB raw line load of the logs {baseline_label(logs)} (baseline)", base),
        _line("lantian build --full-refresh", full),
        f"  ratio build / baseline: {full.seconds / base.seconds:.1f}x",
    ]
    summary = [
        x for x in full.output.splitlines() if x.startswith(("cems ", "  raw.cems", "  marts.cems"))
    ]
    lines += [f"    {x.strip()}" for x in summary]
    lines += where_time_went(wh / ".lantian")
    year = OUT / f"year{outlets}"
    shutil.rmtree(year, ignore_errors=True)
    shutil.copytree(wh, year, symlinks=True)
    return lines


DATA_HOUR = re.compile(rb"DataTime=(\d{10})")


def land_hourly(day_logs: list[Path], cems: Path) -> list[Path]:
    """The day's packets as a receiving station lands them: one plain log per MN and hour of
    DataTime (a line without DataTime stays with the hour before it)."""
    out: dict[Path, list[bytes]] = {}
    for path in day_logs:
        mn = path.name.split("_")[0]
        data = path.read_bytes()
        hour = None
        for line in (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).splitlines(True):
            found = DATA_HOUR.search(line)
            hour = found.group(1).decode() if found else hour or "0000000000"
            out.setdefault(cems / "landing" / mn / f"{hour}.log", []).append(line)
    for target, lines in out.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(lines))
    return sorted(out)


def county(
    outlets: int, nightly: bool, nightly_only: bool = False, landing: str = "daily"
) -> list[str]:
    sources, wh = OUT / f"county{outlets}", OUT / f"wh{outlets}"
    lines = [] if nightly_only else full_year(outlets)
    if nightly_only:
        year = OUT / f"year{outlets}"
        assert year.is_dir(), f"no built year kept: run --outlets {outlets} first"
        shutil.rmtree(wh, ignore_errors=True)
        shutil.copytree(year, wh, symlinks=True)
    if nightly or nightly_only:
        day = OUT / f"day{outlets}"
        _generate(day, outlets, NEXT_DAY, 1)
        new = []
        if landing == "hourly":
            new = land_hourly(logs_of(day), sources / "cems")
        for path in logs_of(day) if landing == "daily" else []:
            name = path.name.replace(
                f"_{NEXT_DAY[:7].replace('-', '')}.", f"_{NEXT_DAY.replace('-', '')}."
            )
            target = sources / path.relative_to(day).parent / name
            shutil.copy2(path, target)
            new.append(target)
        size = sum(p.stat().st_size for p in new) / 1e6
        base_day = duckdb_lines(new)
        inc = build(sources, wh / "warehouse.duckdb", full_refresh=False)
        for path in new:
            path.unlink()
        shutil.rmtree(sources / "cems" / "landing", ignore_errors=True)
        kind = "gzip" if landing == "daily" else "plain, one per MN and hour as landed"
        lines += [
            f"nightly increment: one new day ({NEXT_DAY}), {len(new)} logs, {size:.0f} MB {kind}",
            _line("DuckDB raw line load of the day's logs (baseline)", base_day),
            _line("lantian build (incremental)", inc),
            f"  ratio build / baseline: {inc.seconds / base_day.seconds:.1f}x",
        ]
        summary = [x for x in inc.output.splitlines() if x.startswith(("cems ", "Built"))]
        lines += [f"    {_repo_relative(x.strip())}" for x in summary]
        lines.append(f"    {ledger_feeds_kept(inc.output)}")
        lines += where_time_went(wh / ".lantian")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--outlets", type=int, nargs="+", default=[26])
    ap.add_argument("--nightly", action="store_true", help="then add one day and build again")
    ap.add_argument(
        "--nightly-only", action="store_true", help="the nightly on the last built year, alone"
    )
    ap.add_argument(
        "--landing",
        choices=("daily", "hourly"),
        default="daily",
        help="the nightly's day as a log per outlet, or as a receiving station's hourly files",
    )
    ap.add_argument("--record", action="store_true", help="append the report to the results")
    ap.add_argument("--duckdb-load", nargs="+", help=argparse.SUPPRESS)  # the baseline process
    ap.add_argument("--into", help=argparse.SUPPRESS)  # the baseline's database file
    args = ap.parse_args()
    if args.duckdb_load:
        _duckdb_load(args.duckdb_load, args.into)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for outlets in args.outlets:
        load = os.getloadavg()[0]
        report = "\n".join(county(outlets, args.nightly, args.nightly_only, args.landing))
        print(report)
        if args.record:
            stamp = time.strftime("%Y-%m-%d %H:%M")
            with RESULTS.open("a", encoding="utf-8") as fh:
                fh.write(
                    f"# {stamp}, load average {load:.2f} at start, {os.getloadavg()[0]:.2f} "
                    f"at end (2 cores, shared)\n{report}\n\n"
                )


if __name__ == "__main__":
    main()
