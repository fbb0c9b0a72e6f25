"""`python -m dagster_project.generator --out DIR [--seed N] [--start YYYY-MM-DD] [--days N]
[--enterprises N] [--cems-outlets N] [--minute-share F] [--gzip-level N]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from dagster_project.generator.core import generate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lantian generate", description="Write a synthetic Mengzhou-like county."
    )
    p.add_argument("--out", type=Path, required=True, help="output directory (e.g. sources)")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--start", type=date.fromisoformat, default=date(2023, 11, 1), help="YYYY-MM-DD")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--enterprises", type=int, default=60)
    # county-years at scale (benchmarks); the defaults write the sample
    p.add_argument(
        "--cems-outlets",
        type=int,
        default=None,
        help="size the county by its CEMS outlets (at least N) instead of --enterprises",
    )
    p.add_argument(
        "--minute-share",
        type=float,
        default=None,
        help="share of CEMS outlets sending minute data every day (default: 2 outlets, 2 days)",
    )
    p.add_argument(
        "--gzip-level", type=int, default=9, help="gzip level of the packet logs (1 is fastest)"
    )
    p.add_argument(
        "--county-code",
        default="410883",
        help="GB/T 2260 code placing the county in the province: its own townships, coordinates "
        "and ambient codes (default 410883, Mengzhou: the sample)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    s = generate(
        args.out,
        seed=args.seed,
        start=args.start,
        days=args.days,
        enterprises=args.enterprises,
        cems_outlets=args.cems_outlets,
        minute_share=args.minute_share,
        gzip_level=args.gzip_level,
        county_code=args.county_code,
    )
    print(
        f"wrote {len(s.files)} files to {s.out_dir} in {s.seconds:.1f} s: "
        f"{s.enterprises} enterprises, "
        f"{s.outlets} outlets ({s.monitored_outlets} with CEMS), {s.hourly_packets} hourly and "
        f"{s.minute_packets} minute packets, {len(s.corrupted_lines)} corrupted lines"
    )
    for feed, n in sorted(s.rows_per_feed().items()):
        print(f"  {feed:32s} {n:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
