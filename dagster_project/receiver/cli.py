"""`lantian receive`: arguments, start-up checks and the event loop."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from dagster_project.receiver.access import AccessConfigError, load_access
from dagster_project.receiver.server import Limits, Station, serve


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address loggers connect to")
    p.add_argument("--port", type=int, default=8212)
    p.add_argument("--landing", type=Path, required=True, help="landing folder")
    p.add_argument("--sources", type=Path, default=Path("sources"), help="for the registry")
    p.add_argument("--credentials", type=Path, required=True, help="CSV mn,pw (not in sources)")
    p.add_argument("--healthz-port", type=int, default=8213, help="local /healthz (-1: none)")
    p.add_argument("--status-every", type=float, default=60.0, help="status line period (s)")
    p.add_argument("--idle-timeout", type=float, default=Limits.idle_timeout)
    p.add_argument("--max-connections", type=int, default=Limits.max_connections)
    p.add_argument("--rate-bytes", type=float, default=Limits.bytes_per_s, help="per connection")
    p.add_argument("--rate-packets", type=float, default=Limits.packets_per_s)


def run_receive(args: argparse.Namespace) -> int:
    try:
        access = load_access(args.sources, args.credentials)
    except AccessConfigError as exc:
        print(f"receive: {exc}", file=sys.stderr)
        return 2
    if args.credentials.stat().st_mode & 0o077:
        print(
            f"receive: warning: {args.credentials} is readable by other users (chmod 600 it)",
            file=sys.stderr,
        )
    if access.skipped_mns:
        print(
            f"receive: {len(access.skipped_mns)} registered MNs are not usable as folder names "
            "and are refused",
            file=sys.stderr,
        )
    cems = (args.sources / "cems").resolve()
    if not args.landing.resolve().is_relative_to(cems):
        print(
            f"receive: note: the landing folder is outside {cems}; "
            "the warehouse's CEMS ingest reads only that folder",
            file=sys.stderr,
        )
    limits = Limits(
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        bytes_per_s=args.rate_bytes,
        bytes_burst=4 * args.rate_bytes,
        packets_per_s=args.rate_packets,
        packets_burst=5 * args.rate_packets,
    )
    args.landing.mkdir(parents=True, exist_ok=True)

    async def main() -> int:
        station = Station(args.landing, access, limits, status_every=args.status_every)
        health = None if args.healthz_port < 0 else args.healthz_port
        return await serve(station, args.host, args.port, "127.0.0.1", health)

    return asyncio.run(main())
