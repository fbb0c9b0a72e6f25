"""HJ 212 parse benchmark: N distinct valid hourly (CN=2061) flue-gas packets, ~860 bytes each.

Measures, in the same run and on the same file:
  * baseline: DuckDB loading the file as raw lines (read_csv, one varchar column, no parsing);
  * ours: `parse_files` (framing, length and CRC checks, CP fields, code mapping, flags, dedupe).
Prints packets/s and the ratio ours / baseline (target: <= 10x) for R interleaved runs, with
the CPU seconds each side used, the best of each side and the median ratio: the machine is
shared, so single runs are noisy. The first parse run of a fresh process also pays for
faulting its memory in; later runs reuse it (see dagster_project/allocator.py).
`--record` appends the report to benchmarks/bench_hj212_parse_results.txt.

    uv run python benchmarks/bench_hj212_parse.py [--n 500000] [--repeat 5] [--record]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from dagster_project.hj212.crc import hj212_crc16
from dagster_project.hj212.framing import hj212_crc_many
from dagster_project.hj212.parse import parse_files

OUT = Path(__file__).resolve().parent / "out"
RESULTS = Path(__file__).resolve().parent / "bench_hj212_parse_results.txt"
POLLUTANTS = ("a34013", "a21026", "a21002")
AUX = (("a19001", 2), ("a01012", 1), ("a01013", 3), ("a01014", 2))


def _segment(rng: random.Random, mn: str, t: datetime) -> str:
    sent = t + timedelta(hours=1, seconds=7)
    parts = [f"DataTime={t:%Y%m%d%H%M%S}"]
    for code in POLLUTANTS:
        a = rng.uniform(1, 90)
        lo, hi = a * rng.uniform(0.6, 0.95), a * rng.uniform(1.05, 1.6)
        z = rng.uniform(1.1, 1.6)
        parts.append(
            f"{code}-Avg={a:.3f},{code}-Min={lo:.3f},{code}-Max={hi:.3f},"
            f"{code}-ZsAvg={a * z:.3f},{code}-ZsMin={lo * z:.3f},{code}-ZsMax={hi * z:.3f},"
            f"{code}-Cou={a * 0.05:.4f},{code}-Flag=N"
        )
    f = rng.uniform(5, 60)
    parts.append(
        f"a00000-Avg={f:.3f},a00000-Min={f * 0.9:.3f},a00000-Max={f * 1.1:.3f},"
        f"a00000-Cou={f * 3600:.1f},a00000-Flag=N"
    )
    for code, d in AUX:
        v = rng.uniform(1, 30)
        parts.append(
            f"{code}-Avg={v:.{d}f},{code}-Min={v * 0.9:.{d}f},{code}-Max={v * 1.1:.{d}f},"
            f"{code}-Flag=N"
        )
    return (
        f"QN={sent:%Y%m%d%H%M%S}{sent.microsecond // 1000:03d};ST=31;CN=2061;PW=123456;"
        f"MN={mn};Flag=4;CP=&&" + ";".join(parts) + "&&"
    )


def generate(n: int, path: Path, seed: int = 212) -> None:
    """n distinct packets: 100 loggers x consecutive hours. CRCs computed vectorised and
    spot-checked against the reference (pure Python) CRC."""
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1)
    segs = [
        _segment(rng, f"MN{(i % 100):022d}", t0 + timedelta(hours=i // 100)).encode()
        for i in range(n)
    ]
    buf = np.frombuffer(b"".join(segs), dtype=np.uint8)
    lens = np.array([len(s) for s in segs], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    crcs = hj212_crc_many(buf, starts, lens)
    for i in random.Random(seed + 1).sample(range(n), min(n, 200)):
        assert crcs[i] == hj212_crc16(segs[i]), "vectorised CRC disagrees with the reference"
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        for s, c in zip(segs, crcs, strict=True):
            fh.write(b"##%04d%s%04X\r\n" % (len(s), s, int(c)))
    tmp.replace(path)


def duckdb_raw_lines(path: Path) -> tuple[float, int]:
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(
        f"""create table lines as select * from read_csv('{path}', columns={{'line': 'varchar'}},
            header=false, delim='\\0', quote='', escape='', auto_detect=false)"""
    )
    elapsed = time.perf_counter() - t
    rows = con.execute("select count(*) from lines").fetchone()[0]
    con.close()
    return elapsed, int(rows)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=5, help="R interleaved runs of both sides")
    ap.add_argument("--record", action="store_true", help="append the report to the results")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"hj212_hourly_{args.n}.log"
    if not path.exists():
        t = time.perf_counter()
        generate(args.n, path)
        print(f"generated {args.n} packets in {time.perf_counter() - t:.1f}s")
    size_mb = path.stat().st_size / 1e6

    # interleaved pairs, so both sides see the same machine load (it is shared)
    runs: list[tuple[float, float, float, float]] = []  # wall and CPU seconds, both sides
    counts: dict[str, int] = {}
    for _ in range(args.repeat):
        c0 = _cpu_seconds()
        base = duckdb_raw_lines(path)[0]
        c1 = _cpu_seconds()
        t = time.perf_counter()
        result = parse_files([path])
        runs.append((base, c1 - c0, time.perf_counter() - t, _cpu_seconds() - c1))
        counts = result.counts
        del result  # a held result would make the next run fault in fresh memory
    valid = counts["packets_valid"]
    assert valid == args.n, f"expected {args.n} valid packets, got {counts}"
    base, ours = min(r[0] for r in runs), min(r[2] for r in runs)
    median = statistics.median(o / b for b, _, o, _ in runs)
    report = [
        f"file: {path.name}  {size_mb:.0f} MB  {args.n} packets  {counts['values']} values",
        *(
            f"  run {i}: duckdb {b:.2f} s ({bc:.2f} CPU-s), parse {o:.2f} s ({oc:.2f} CPU-s), "
            f"ratio {o / b:.1f}x"
            for i, (b, bc, o, oc) in enumerate(runs, 1)
        ),
        f"duckdb raw line load (best): {base:.2f} s  ({args.n / base:,.0f} lines/s)",
        f"hj212 parse_files (best):    {ours:.2f} s  ({args.n / ours:,.0f} packets/s)",
        f"ratio parse / duckdb raw load: best/best {ours / base:.1f}x, "
        f"median of runs {median:.1f}x  (target <= 10x)",
    ]
    print("\n".join(report))
    if args.record:
        stamp = time.strftime("%Y-%m-%d %H:%M")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(f"# {stamp}, load average {os.getloadavg()[0]:.2f}\n")
            fh.write("\n".join(report) + "\n\n")


if __name__ == "__main__":
    main()
