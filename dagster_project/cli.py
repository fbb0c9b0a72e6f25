"""The `lantian` command: build, generate, hj212 parse, receive, export, query, ui."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import traceback
from datetime import date
from pathlib import Path

from dagster_project import warehouse


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="warehouse file (default: $LANTIAN_WAREHOUSE or warehouse.duckdb)",
    )


def _warehouse(args: argparse.Namespace) -> Path:
    return (args.warehouse or warehouse.warehouse_path()).resolve()


def cmd_build(args: argparse.Namespace) -> int:
    from dagster_project.build import BuildFailed, run_build

    try:
        summary = run_build(
            args.sources, _warehouse(args), args.exports, full_refresh=args.full_refresh
        )
    except BuildFailed as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a clear one-line reason; the traceback goes to a log file
        log = warehouse.PROJECT_ROOT / ".dagster_home" / "last_build_error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc())
        reason = (str(exc).strip().splitlines() or [""])[-1]
        print(f"build failed: {type(exc).__name__}: {reason} (traceback: {log})", file=sys.stderr)
        return 1
    print(summary.render())
    return summary.exit_code()


def cmd_generate(args: argparse.Namespace) -> int:
    from dagster_project.generator.__main__ import main as generate_main

    return generate_main(
        [
            "--out",
            str(args.out),
            "--seed",
            str(args.seed),
            "--start",
            args.start.isoformat(),
            "--days",
            str(args.days),
            "--enterprises",
            str(args.enterprises),
        ]
    )


def cmd_hj212_parse(args: argparse.Namespace) -> int:
    from dagster_project.hj212.cli import run_parse_command

    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    counts = run_parse_command(list(args.files), args.out)
    for outcome, n in counts.items():
        print(f"{outcome:<28}{n:>10}")
    return 0


# `lantian receive`: the HJ 212 receiving station (its own package; imports no Dagster or dbt).
def cmd_receive(args: argparse.Namespace) -> int:
    from dagster_project.receiver.cli import run_receive

    return run_receive(args)


def _add_receive(sub: argparse._SubParsersAction) -> None:
    from dagster_project.receiver.cli import add_arguments

    p = sub.add_parser("receive", help="the HJ 212 receiving station that data loggers call")
    add_arguments(p)
    p.set_defaults(func=cmd_receive)


def cmd_export(args: argparse.Namespace) -> int:
    from dagster_project.reports import run_export_command

    path = _warehouse(args)
    if not path.exists():
        print(f"warehouse not found: {path} (run `lantian build` first)", file=sys.stderr)
        return 2
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    return run_export_command(path, args.year, args.out, formats)


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    path = _warehouse(args)
    if not path.exists():
        print(f"warehouse not found: {path} (run `lantian build` first)", file=sys.stderr)
        return 2
    con = warehouse.connect(path, read_only=True)
    try:
        relation = con.sql(args.sql)
        if relation is None:
            return 0
        relation.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as exc:
        print(f"query failed: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from dagster_project.dagster_home import ensure_dagster_home

    ensure_dagster_home()
    os.environ.setdefault(warehouse.WAREHOUSE_ENV, str(_warehouse(args)))
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [
        str(dagster),
        "dev",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "-m",
        "dagster_project.definitions",
        "-a",
        "defs",
    ]
    return subprocess.call(cmd, cwd=warehouse.PROJECT_ROOT)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lantian", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="ingest, dbt build, quality checks and exports (atomic)")
    p.add_argument("--sources", type=Path, default=None, help="sources folder (default sources/)")
    p.add_argument("--exports", type=Path, default=None, help="exports folder (default exports/)")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild from scratch instead of reusing already-ingested CEMS files",
    )
    _add_warehouse(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("generate", help="write a realistic synthetic county (deterministic)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--start", type=date.fromisoformat, default=date(2023, 11, 1))
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--enterprises", type=int, default=60)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("hj212", help="HJ 212 protocol tools")
    hj = p.add_subparsers(dest="hj212_command", required=True)
    pp = hj.add_parser("parse", help="parse packet files into values.parquet and rejects.parquet")
    pp.add_argument("files", type=Path, nargs="+")
    pp.add_argument("--out", type=Path, required=True)
    pp.set_defaults(func=cmd_hj212_parse)

    _add_receive(sub)

    p = sub.add_parser("export", help="provincial inventory export from the current warehouse")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--format", default="xlsx,csv,parquet")
    p.add_argument("--out", type=Path, required=True)
    _add_warehouse(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("query", help="run read-only SQL against the warehouse")
    p.add_argument("sql")
    p.add_argument("--max-rows", type=int, default=100)
    _add_warehouse(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("ui", help="the Dagster UI on 127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    _add_warehouse(p)
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
