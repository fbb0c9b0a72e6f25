"""The `lantian` command: build, status, generate, hj212 parse, receive, export, query, ui.

Paths come from options, then environment variables, then defaults beside the sources folder
(see dagster_project/paths.py); never from the current directory. Exit codes: 0 done, 1 failed,
2 bad arguments or unusable input, 3 input problems (a finished build that needs attention, or
the shrink guard refusing to replace the warehouse).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project import paths
from dagster_project.operate import exit_codes

if TYPE_CHECKING:  # the build machinery is imported only by the commands that need it
    from dagster_project.operate.build_paths import BuildPaths
    from dagster_project.operate.progress import Progress

DESCRIPTION = __doc__.split("\n\n")[0]


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help with every option's default value (options whose default is resolved at run time
    say where it comes from in their text), and descriptions kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)"


def _fail(message: str, code: int = exit_codes.USAGE) -> int:
    print(message, file=sys.stderr)
    return code


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        type=Path,
        default=None,
        help=f"sources folder (default: ${paths.SOURCES_ENV}, else the checkout's sources/)",
    )


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help=f"warehouse file (default: ${paths.WAREHOUSE_ENV}, else warehouse.duckdb beside "
        "the sources folder)",
    )


def _add_state(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"Dagster home, build logs and dbt artifacts (default: ${paths.STATE_ENV}, else "
        f"{paths.STATE_NAME}/ beside the warehouse)",
    )


def _warehouse(args: argparse.Namespace) -> Path:
    return paths.warehouse_file(args.warehouse, getattr(args, "sources", None))


# --- build -----------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return _build_on_spark(args)
    from dagster_project.operate.build_paths import BuildFailed, BuildPaths, new_build_id

    try:
        where = BuildPaths.resolve(args.sources, args.warehouse, args.exports, args.state_dir)
    except BuildFailed as exc:
        return _fail(f"build failed: {exc}", exc.exit_code)
    if not where.sources.is_dir():
        return _fail(f"build failed: sources folder not found: {where.sources}")
    if args.worker:
        return _build_worker(args, where)
    from dagster_project.operate import publish
    from dagster_project.operate.supervisor import run_supervised

    build_id = new_build_id()
    worker = [
        sys.executable,
        "-P",  # nothing from the working directory: a checkout there is not this lantian
        "-m",
        "dagster_project.cli",
        "build",
        "--sources",
        str(where.sources),
        "--warehouse",
        str(where.target),
        "--exports",
        str(where.exports),
        "--state-dir",
        str(where.state),
        "--keep-builds",
        str(args.keep_builds),
        "--max-drop",
        str(args.max_drop),
        "--log-format",
        args.log_format,
        "--build-id",
        build_id,
        "--worker",
        *(["--full-refresh"] if args.full_refresh else []),
        *(["--accept-shrink"] if args.accept_shrink else []),
        *(["--quiet"] if args.quiet else []),
    ]

    def cleanup() -> None:
        publish.remove_build_files(where.target, build_id)
        shutil.rmtree(publish.staged_exports(where.exports, build_id), ignore_errors=True)

    return run_supervised(worker, cleanup)


def _build_on_spark(args: argparse.Namespace) -> int:
    """`--engine spark`: the county into the Parquet lake, then the dbt project on Spark."""
    from dagster_project.build import BuildFailed
    from dagster_project.spark_build import run_spark_build

    try:
        summary = run_spark_build(args.sources, county=args.county)
    except BuildFailed as exc:
        return _fail(f"build failed: {exc}", exc.exit_code)
    print(summary.render())
    return summary.exit_code()


def _build_worker(args: argparse.Namespace, where: BuildPaths) -> int:
    from dagster_project.build import BuildFailed, run_build
    from dagster_project.operate.errors import root_cause
    from dagster_project.operate.progress import Progress
    from dagster_project.operate.supervisor import Terminated, worker_signals

    progress = Progress(sys.stdout, args.log_format, args.quiet)
    log = paths.build_dir(args.build_id, where.state) / "build.log"
    try:
        with worker_signals():
            summary = run_build(
                where.sources,
                where.target,
                where.exports,
                full_refresh=args.full_refresh,
                state=where.state,
                keep_builds=args.keep_builds,
                accept_shrink=args.accept_shrink,
                max_drop=args.max_drop,
                build_id=args.build_id,
                progress=progress,
            )
    except BuildFailed as exc:
        outcome = "refused" if exc.exit_code == exit_codes.INPUT_PROBLEMS else "failed"
        return _report_failure(progress, outcome, str(exc), log, exc.exit_code)
    except Terminated as exc:
        return _report_failure(progress, "stopped", f"stopped by {exc}", log, exit_codes.FAILED)
    except Exception as exc:  # ours or a tool's: the root cause in one line, the rest in the log
        return _report_failure(progress, "failed", root_cause(exc), log, exit_codes.FAILED)
    code = summary.exit_code()
    if args.log_format == "json":
        counts = summary.counts()
        progress.outcome("published", f"built {summary.warehouse}", exit_code=code, **counts)
    elif not args.quiet:
        print(summary.render())
    if args.quiet or args.log_format == "json":  # the rendered summary lists them otherwise
        for problem in summary.inputs.file_problems:
            print(f"input problem: {problem.render().strip()}", file=sys.stderr)
    return code


def _report_failure(progress: Progress, outcome: str, reason: str, log: Path, code: int) -> int:
    if progress.fmt == "json":
        progress.outcome(outcome, reason, exit_code=code, log=str(log))
    print(f"build {outcome}: {reason} (full log: {log})", file=sys.stderr)
    return code


def cmd_status(args: argparse.Namespace) -> int:
    import dagster as dg

    from dagster_project.dagster_home import ensure_dagster_home
    from dagster_project.operate import runs

    target = _warehouse(args)
    ensure_dagster_home(paths.state_dir(args.state_dir, target))
    with dg.DagsterInstance.get() as instance:
        records = runs.recent_builds(instance, target, args.limit)
    if args.log_format == "json":
        for r in records:
            print(json.dumps({**r.__dict__, "started": str(r.started)}, ensure_ascii=False))
    else:
        print(runs.render(records, target))
    return exit_codes.OK


# --- other commands -------------------------------------------------------------------------


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
            "--gzip-level",
            str(args.gzip_level),
            "--county-code",
            args.county_code,
            *(["--cems-outlets", str(args.cems_outlets)] if args.cems_outlets else []),
            *(["--minute-share", str(args.minute_share)] if args.minute_share is not None else []),
        ]
    )


def cmd_hj212_parse(args: argparse.Namespace) -> int:
    from dagster_project.hj212.cli import run_parse_command

    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        return _fail(f"no such file: {', '.join(missing)}")
    counts = run_parse_command(list(args.files), args.out)
    for outcome, n in counts.items():
        print(f"{outcome:<28}{n:>10}")
    return exit_codes.OK


def _existing_warehouse(args: argparse.Namespace) -> Path:
    path = _warehouse(args)
    if not path.exists():
        raise paths.PathNotConfigured(f"warehouse not found: {path} (run `lantian build` first)")
    return path


# `lantian receive`: the HJ 212 receiving station (its own package; imports no Dagster or dbt).
def cmd_receive(args: argparse.Namespace) -> int:
    from dagster_project.receiver.cli import run_receive

    return run_receive(args)


def _add_receive(sub: argparse._SubParsersAction) -> None:
    from dagster_project.receiver.cli import add_arguments

    p = sub.add_parser(
        "receive",
        help="the HJ 212 receiving station that data loggers call",
        formatter_class=_Formatter,
    )
    add_arguments(p)
    p.set_defaults(func=cmd_receive)


def cmd_export(args: argparse.Namespace) -> int:
    from dagster_project.reports import run_export_command

    path = _existing_warehouse(args)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    return run_export_command(path, args.year, args.out, formats)


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    from dagster_project.operate import query

    path = _existing_warehouse(args)
    try:
        query.check_out(args.out, args.sql)
    except query.QueryUsageError as exc:
        return _fail(str(exc))
    con = query.open_sandboxed(path)
    try:
        results = query.run(con, args.sql)
    except duckdb.Error as exc:
        return _fail(f"query failed: {exc}", exit_codes.FAILED)
    finally:
        con.close()
    if args.out is not None:
        table = results[0].table
        if table is None:
            return _fail("--out: the statement returned no result")
        query.write_out(table, args.out)
        print(f"wrote {table.num_rows:,} rows to {args.out}")
    else:
        query.show(results, args.max_rows)
    return exit_codes.OK


WORKSPACE_YAML = """\
load_from:
  - python_module:
      module_name: dagster_project.definitions
      attribute: defs
      location_name: lantian
"""


def cmd_ui(args: argparse.Namespace) -> int:
    from dagster_project.dagster_home import ensure_dagster_home
    from dagster_project.operate.supervisor import run_supervised

    target = _warehouse(args)
    state = paths.state_dir(args.state_dir, target)
    ensure_dagster_home(state)
    # The nightly schedule and the sources sensor build from these, as `lantian build` would.
    os.environ[paths.SOURCES_ENV] = str(paths.sources_dir(args.sources))
    os.environ[paths.WAREHOUSE_ENV] = str(target)
    os.environ[paths.STATE_ENV] = str(state)
    # The code location is registered under the project's own name (dagster_project/dg.toml),
    # so Dagster does not warn about a mismatch every time it loads the definitions.
    workspace = state / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML)
    cmd = [str(paths.tool("dagster")), "dev", "--host", "127.0.0.1", "--port", str(args.port)]
    cmd += ["--workspace", str(workspace)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} for {target} (Ctrl-C stops it)", flush=True)
    # dagster dev shuts its webserver, daemon and code server down on KeyboardInterrupt, so a
    # stop signal (or this process dying) reaches it as SIGINT; what is left after it is killed.
    code = run_supervised(
        cmd, lambda: None, what="the Dagster UI", cwd=state, stop_with=signal.SIGINT
    )
    return exit_codes.OK if code in (0, 1, 130) else code


# --- parser ---------------------------------------------------------------------------------


def _add_build(sub: argparse._SubParsersAction) -> None:
    from dagster_project.guard import DEFAULT_MAX_DROP
    from dagster_project.operate.retention import DEFAULT_KEEP_BUILDS

    p = sub.add_parser(
        "build",
        help="ingest, dbt build, quality checks and exports (atomic)",
        description="Ingest every feed, run dbt, the quality checks, the detectors and the "
        "exports into a new warehouse file, then swap it and its exports in atomically. Prints "
        "one line per stage, then a summary.",
        formatter_class=_Formatter,
    )
    _add_sources(p)
    _add_warehouse(p)
    p.add_argument(
        "--exports",
        type=Path,
        default=None,
        help=f"exports folder (default: ${paths.EXPORTS_ENV}, else exports/ beside the warehouse)",
    )
    _add_state(p)
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild from scratch instead of reusing already-ingested CEMS files",
    )
    p.add_argument(
        "--keep-builds",
        type=int,
        default=DEFAULT_KEEP_BUILDS,
        help="build folders (logs, dbt artifacts) and Dagster runs kept",
    )
    p.add_argument(
        "--max-drop",
        type=float,
        default=DEFAULT_MAX_DROP,
        help="largest share a feed, the registry, CEMS outlet-hours or a county total may shrink "
        "by against the previous warehouse before the build is refused (exit 3)",
    )
    p.add_argument(
        "--accept-shrink",
        action="store_true",
        help="publish even if the shrink guard objects (recorded in the run history)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary")
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="progress as text lines or as JSON lines (for log collectors)",
    )
    p.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb: one county, one file; spark: the county's raw tables into the Parquet "
        "lake and every model on Spark over all counties (uv sync --extra spark)",
    )
    p.add_argument(
        "--county",
        default=None,
        help="county code of the lake partition (spark; default: from the registry's outlet MNs)",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--build-id", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_build)


def cmd_province_build(args: argparse.Namespace) -> int:
    """Every county of the registry into the lake, dbt on Spark over all, the provincial export."""
    from dagster_project.build import BuildFailed
    from dagster_project.lake.province import RegistryError
    from dagster_project.province_build import run_province_build

    try:
        summary = run_province_build(args.registry, args.out)
    except RegistryError as exc:
        return _fail(f"province build failed: {exc}")
    except BuildFailed as exc:
        return _fail(f"province build failed: {exc}", exc.exit_code)
    print(summary.render())
    return summary.exit_code()


def _add_province(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "province",
        help="the province: every county of a registry on Spark",
        description="Provincial builds over many counties (needs the spark extra and Java 17).",
        formatter_class=_Formatter,
    )
    commands = p.add_subparsers(dest="province_command", required=True)
    b = commands.add_parser(
        "build",
        help="ingest every county, run dbt on Spark over all, write the provincial export",
        description="Ingest each county of the registry (CSV: county_code,county_name,sources) "
        "into its partition of the province lake, run the dbt project once on Spark over every "
        "county, and write the provincial export (workbook with Chinese headers, CSV, Parquet) "
        "with a county column. State under LANTIAN_PROVINCE_HOME (default .lantian/province/).",
        formatter_class=_Formatter,
    )
    b.add_argument("--registry", type=Path, required=True, help="the province registry CSV")
    b.add_argument(
        "--out", type=Path, default=None, help="export folder (default: <state>/exports)"
    )
    b.set_defaults(func=cmd_province_build)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lantian", description=__doc__, formatter_class=_Formatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_build(sub)
    _add_province(sub)

    p = sub.add_parser(
        "status",
        help="the last builds from the run history",
        description="The last builds of a warehouse from the Dagster run history: start time, "
        "duration, result (published, refused, failed), rows, checks and the reason.",
        formatter_class=_Formatter,
    )
    _add_warehouse(p)
    _add_state(p)
    p.add_argument("--limit", type=int, default=10, help="builds shown")
    p.add_argument("--log-format", choices=("text", "json"), default="text", help="output form")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "generate",
        help="write a realistic synthetic county (deterministic)",
        description="Write a synthetic Mengzhou-like county in the delivered formats; the same "
        "arguments give the same bytes.",
        formatter_class=_Formatter,
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (emptied first)")
    p.add_argument("--seed", type=int, default=2023, help="random seed")
    p.add_argument(
        "--start", type=date.fromisoformat, default=date(2023, 11, 1), help="first day (CEMS)"
    )
    p.add_argument("--days", type=int, default=30, help="days of CEMS packets")
    p.add_argument("--enterprises", type=int, default=60, help="enterprises in the registry")
    p.add_argument(
        "--cems-outlets", type=int, default=None, help="size the county by CEMS outlets (>= N)"
    )
    p.add_argument(
        "--minute-share", type=float, default=None, help="share of CEMS outlets sending minute data"
    )
    p.add_argument("--gzip-level", type=int, default=9, help="gzip level of the logs (1: fast)")
    p.add_argument(
        "--county-code",
        default="410883",
        help="GB/T 2260 code placing the county in a province: its own stations, townships and "
        "coordinates (default 410883, Mengzhou: the sample)",
    )
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("hj212", help="HJ 212 protocol tools", formatter_class=_Formatter)
    hj = p.add_subparsers(dest="hj212_command", required=True)
    pp = hj.add_parser(
        "parse",
        help="parse packet files into values.parquet and rejects.parquet",
        formatter_class=_Formatter,
    )
    pp.add_argument("files", type=Path, nargs="+", help="packet logs (.log or .log.gz)")
    pp.add_argument("--out", type=Path, required=True, help="output folder")
    pp.set_defaults(func=cmd_hj212_parse)

    _add_receive(sub)

    p = sub.add_parser(
        "export",
        help="provincial inventory export from the current warehouse",
        description="The provincial inventory export of one year: xlsx, CSV and Parquet per "
        "sheet and manifest.json. A year the warehouse holds no data for is refused (exit 2).",
        formatter_class=_Formatter,
    )
    p.add_argument("--year", type=int, required=True, help="inventory year")
    p.add_argument("--format", default="xlsx,csv,parquet", help="comma-separated formats")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _add_warehouse(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "query",
        help="run read-only SQL against the warehouse",
        description="Run SQL against the warehouse, read-only and without access to other files "
        "(no ATTACH, COPY, EXPORT, INSTALL or file readers). Prints every statement's result.",
        formatter_class=_Formatter,
    )
    p.add_argument("sql", help="one or more SQL statements separated by ;")
    p.add_argument("--max-rows", type=int, default=100, help="rows printed per result")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write every row of the (single) result to FILE.csv or FILE.parquet",
    )
    _add_warehouse(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser(
        "ui",
        help="the Dagster UI on 127.0.0.1",
        description="The Dagster UI (webserver, daemon: the nightly schedule and the sources "
        "sensor) for the warehouse; SIGTERM or Ctrl-C stops it and its processes.",
        formatter_class=_Formatter,
    )
    p.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1")
    _add_sources(p)
    _add_warehouse(p)
    _add_state(p)
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except paths.PathNotConfigured as exc:  # no warehouse or sources given and no default
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
