"""HJ 212 parse benchmark: N distinct valid hourly (CN=2061) flue-gas packets, ~860 bytes each.

Measures, in the same run and on the same file:
  * baseline: DuckDB loading the file as raw lines (read_csv, one varchar column, no parsing);
  * ours: `parse_files` (framing, length and CRC checks, CP fields, code mapping, flags, dedupe).
Prints packets/s and the ratio ours / baseline (target: <= 10x) for R interleaved runs, the
best of each side and the median ratio: the machine is shared, so single runs are noisy.

    uv run python benchmarks/bench_hj212_parse.py [--n 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from dagster_project.hj212.crc import hj212_crc16
from dagster_project.hj212.framing import hj212_crc_many
from dagster_project.hj212.parse import parse_files

OUT = Path(__file__).resolve().parent / "out"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3, help="R interleaved runs of both sides")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"hj212_hourly_{args.n}.log"
    if not path.exists():
        t = time.perf_counter()
        generate(args.n, path)
        print(f"generated {args.n} packets in {time.perf_counter() - t:.1f}s")
    size_mb = path.stat().st_size / 1e6

    # interleaved pairs, so both sides see the same machine load (it is shared)
    pairs: list[tuple[float, float]] = []
    result = None
    for _ in range(args.repeat):
        base = duckdb_raw_lines(path)[0]
        t = time.perf_counter()
        result = parse_files([path])
        pairs.append((base, time.perf_counter() - t))
    assert result is not None
    valid = result.counts["packets_valid"]
    assert valid == args.n, f"expected {args.n} valid packets, got {result.counts}"
    base, ours = min(p[0] for p in pairs), min(p[1] for p in pairs)
    ratios = sorted(o / b for b, o in pairs)
    print(f"file: {path.name}  {size_mb:.0f} MB  {args.n} packets  {len(result.values)} values")
    for i, (b, o) in enumerate(pairs, 1):
        print(f"  run {i}: duckdb {b:.2f} s, parse {o:.2f} s, ratio {o / b:.1f}x")
    print(f"duckdb raw line load (best): {base:.2f} s  ({args.n / base:,.0f} lines/s)")
    print(f"hj212 parse_files (best):    {ours:.2f} s  ({args.n / ours:,.0f} packets/s)")
    print(
        f"ratio parse / duckdb raw load: best/best {ours / base:.1f}x, "
        f"median of runs {ratios[len(ratios) // 2]:.1f}x  (target <= 10x)"
    )


if __name__ == "__main__":
    main()
