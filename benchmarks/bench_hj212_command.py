"""`lantian hj212 parse` end to end as a process, against DuckDB's raw line load as a process.

Both sides are whole processes, started and timed from outside, in interleaved pairs on the same
file (the machine is shared, so single runs are noisy):
  * baseline: `python` importing duckdb and loading the file as raw lines (read_csv, one varchar
    column, no parsing) into a table;
  * ours: `lantian hj212 parse FILE --out DIR` from start to files closed (framing, length and
    CRC checks, CP fields, code mapping, flags, dedupe, values/rejects/events Parquet written).
Reports wall and CPU seconds per run, the median ratio ours / baseline (target <= 10x) and the
peak resident memory of our process against the input size (target <= 3x). The input is the
N-packet hourly file of bench_hj212_parse.py (generated once into benchmarks/out/).
`--record` appends the report to benchmarks/bench_hj212_command_results.txt.

    uv run python benchmarks/bench_hj212_command.py [--n 500000] [--repeat 5] [--record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_hj212_parse import OUT, duckdb_raw_lines, generate  # noqa: E402
from process_timer import Run, run  # noqa: E402

RESULTS = HERE / "bench_hj212_command_results.txt"


def baseline_process(path: Path) -> Run:
    return run([sys.executable, __file__, "--duckdb-load", str(path)])


def parse_process(path: Path, out: Path) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    lantian = Path(sys.executable).with_name("lantian")
    result = run([str(lantian), "hj212", "parse", str(path), "--out", str(out)])
    assert result.returncode == 0, result.output[-2000:]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=5, help="R interleaved runs of both sides")
    ap.add_argument("--record", action="store_true", help="append the report to the results")
    ap.add_argument("--duckdb-load", type=Path, help=argparse.SUPPRESS)  # the baseline process
    args = ap.parse_args()
    if args.duckdb_load:
        duckdb_raw_lines(args.duckdb_load)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"hj212_hourly_{args.n}.log"
    if not path.exists():
        generate(args.n, path)
    size_mb = path.stat().st_size / 1e6
    out = OUT / "hj212_command_out"
    pairs = []
    load = os.getloadavg()[0]
    for _ in range(args.repeat):
        pairs.append((baseline_process(path), parse_process(path, out)))
    lines = [
        f"file: {path.name}  {size_mb:.0f} MB  {args.n} packets",
        *(
            f"  run {i}: duckdb process {b.seconds:.2f} s ({b.cpu_seconds:.2f} CPU-s, "
            f"{b.max_process_rss_mb:.0f} MB), lantian hj212 parse {o.seconds:.2f} s "
            f"({o.cpu_seconds:.2f} CPU-s, {o.max_process_rss_mb:.0f} MB), "
            f"ratio {o.seconds / b.seconds:.1f}x"
            for i, (b, o) in enumerate(pairs, 1)
        ),
    ]
    ratios = [o.seconds / b.seconds for b, o in pairs]
    rss = max(o.max_process_rss_mb for _, o in pairs)
    lines += [
        f"median: duckdb {statistics.median(b.seconds for b, _ in pairs):.2f} s, "
        f"parse {statistics.median(o.seconds for _, o in pairs):.2f} s; "
        f"ratio median {statistics.median(ratios):.1f}x, best {min(ratios):.1f}x "
        f"(target <= 10x)",
        f"peak RSS of the parse process {rss:.0f} MB = {rss / size_mb:.2f}x the input "
        f"(target <= 3x)",
    ]
    report = "\n".join(lines)
    print(report)
    if args.record:
        stamp = time.strftime("%Y-%m-%d %H:%M")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(
                f"# {stamp}, load average {load:.2f} at start, "
                f"{os.getloadavg()[0]:.2f} at end (2 cores, shared)\n{report}\n\n"
            )


if __name__ == "__main__":
    main()
