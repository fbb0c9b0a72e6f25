"""Province benchmark: N generated counties built on one local Spark session vs N DuckDB builds.

Generates N counties (seeds 101, 102, …, county codes 410801, 410802, …: each placed apart in
the province with its own stations and townships; the same size each) under
benchmarks/out/province/, then measures, each as a child process so that its whole process tree
is watched:
  * baseline: `lantian build` of each county on DuckDB, one after the other (the county
    product as it runs today), summed;
  * ours: `lantian province build` over the first k counties for each k of --steps (ingest of
    every county into the lake, dbt seed + run once on Spark over all, the provincial export).
Reports wall seconds, peak resident memory of the process tree (sampled every 0.2 s from /proc),
the ratio Spark / DuckDB-in-sequence at each k, and how Spark's time grows with k. The machine
is shared, so single runs are noisy: run it niced and read the ratios, not the seconds.
`--record` appends the report to benchmarks/bench_province_results.txt.

    nice -n 10 uv run python benchmarks/bench_province.py [--counties 10] [--steps 1,3,10]
        [--days 3] [--enterprises 12] [--record]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "province"
RESULTS = Path(__file__).resolve().parent / "bench_province_results.txt"
FIRST_SEED = 101
FIRST_CODE = 410801  # county codes 410801, 410802, … (the registry names the partitions)


@dataclass(frozen=True)
class Run:
    label: str
    seconds: float
    peak_mb: float
    cpu_s: float
    load: str  # 1-minute load average at the start and at the end

    def line(self) -> str:
        return (
            f"  {self.label:<14}{self.seconds:>8.1f} s  cpu {self.cpu_s:>7.1f} s  "
            f"peak {self.peak_mb:>7.0f} MB  load {self.load}"
        )


def _tree_rss_kb(root: int, cpu: dict[int, float]) -> int:
    """Resident memory of `root` and all its descendants (from /proc); records each one's own CPU
    seconds so far (user + system) in `cpu`."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/statm") as f:
                pages = int(f.read().split()[1])
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
        ticks[int(entry)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        if pid in ticks:
            cpu[pid] = max(cpu.get(pid, 0.0), ticks[pid])
        todo.extend(children.get(pid, []))
    return total


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def measure(label: str, command: list[str], env: dict[str, str], cwd: str | None = None) -> Run:
    load = _load()
    started = time.monotonic()
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid, cpu))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-3000:])
        raise SystemExit(f"{label} failed ({proc.returncode})")
    # CPU of the tree: what the kernel counted for the child and the descendants it waited for,
    # or the sum of every process seen (up to 0.2 s before each ended) if that is more
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = max(sum(cpu.values()), usage.ru_utime + usage.ru_stime - _children_cpu[0])
    _children_cpu[0] = usage.ru_utime + usage.ru_stime
    run = Run(label, seconds, peak / 1024, cpu_s, f"{load}->{_load()}")
    print(run.line(), flush=True)
    return run


_children_cpu = [0.0]  # CPU seconds of the children measured so far


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--steps", default="1,3,10", help="province sizes built on Spark")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--enterprises", type=int, default=12)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    if max(steps) > args.counties:
        parser.error("a step is larger than --counties")
    bin_dir = Path(sys.executable).parent
    lantian = str(bin_dir / "lantian")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    codes = [str(FIRST_CODE + i) for i in range(args.counties)]
    for i, code in enumerate(codes):
        subprocess.run(
            [lantian, "generate", "--out", str(OUT / code), "--seed", str(FIRST_SEED + i),
             "--county-code", code, "--start", "2023-11-01", "--days", str(args.days),
             "--enterprises", str(args.enterprises)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    duck: list[Run] = []
    spark: dict[int, Run] = {}

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stopped = False
    try:
        for k in sorted(steps, reverse=True):  # the largest province first
            registry = OUT / f"province-{k}.csv"
            registry.write_text(
                "county_code,county_name,sources\n"
                + "".join(f"{c},county {c},{c}\n" for c in codes[:k]),
                encoding="utf-8",
            )
            home = OUT / f"spark-{k}"
            spark[k] = measure(
                f"spark {k}",
                [lantian, "province", "build", "--registry", str(registry)],
                {"HOME": "/nonexistent", "LANTIAN_PROVINCE_HOME": str(home)},
                cwd="/",
            )
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
        for code in codes:
            duck.append(
                measure(
                    f"duckdb {code}",
                    [lantian, "build", "--sources", str(OUT / code),
                     "--warehouse", str(OUT / f"{code}.duckdb"),
                     "--exports", str(OUT / f"{code}-exports"),
                     "--state-dir", str(OUT / f"{code}-state")],
                    env,
                )
            )  # fmt: skip
    except KeyboardInterrupt:
        stopped = True
    lines = [
        f"== {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores (shared), "
        f"{args.counties} counties of {args.enterprises} enterprises x {args.days} days"
        + (" (STOPPED before the end: what finished)" if stopped else ""),
        "Spark province builds (ingest of every county + one dbt run + export), largest first:",
    ]
    lines += [spark[k].line() for k in sorted(spark)]
    lines.append("DuckDB builds in sequence (baseline), each county:")
    lines += [r.line() for r in duck]
    for k in sorted(spark):
        r = spark[k]
        if len(duck) < k:
            continue
        base = sum(d.seconds for d in duck[:k])
        base_cpu = sum(d.cpu_s for d in duck[:k])
        base_peak = max(d.peak_mb for d in duck[:k])
        lines.append(
            f"  {k:>2} counties  spark {r.seconds:>7.1f} s  cpu {r.cpu_s:>7.1f} s  "
            f"peak {r.peak_mb:>6.0f} MB | duckdb x{k} in sequence {base:>7.1f} s  "
            f"cpu {base_cpu:>7.1f} s  peak {base_peak:>5.0f} MB | "
            f"ratio spark/duckdb {r.seconds / base:.2f} (cpu {r.cpu_s / base_cpu:.2f})"
        )
    if len(spark) > 1:
        first = min(spark)
        growth = ", ".join(
            f"{k}: {spark[k].seconds / spark[first].seconds:.2f}x" for k in sorted(spark)
        )
        lines.append(f"Spark time relative to {first} county: {growth}")
    report = "\n".join(lines)
    print(report)
    if args.record:
        with open(RESULTS, "a", encoding="utf-8") as f:
            f.write(report + "\n\n")
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)
    return 1 if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
