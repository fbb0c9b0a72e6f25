"""The atomic build: run every asset into a new file and swap it in only on success.

Analysts never see a half-built warehouse: the asset graph writes to
`.<name>.building-<build_id>` beside the warehouse; `os.replace` swaps it in after the last
step (ingest, dbt, quality, exports) succeeded. A failed or killed build leaves the previous
warehouse untouched; its leftover file is removed by the next build, which holds a lock so two
builds never race.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import warehouse
from dagster_project.dagster_home import ensure_dagster_home
from dagster_project.input_problems import InputReport, read_input_report


class BuildFailed(RuntimeError):
    """The build did not finish; the previous warehouse is intact."""


@dataclass
class FeedLine:
    feed: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    unchanged: int = 0  # files already ingested by an earlier build (same content hash)


@dataclass
class CheckLine:
    name: str
    passed: bool
    detail: str
    kind: str  # "suite" (great-expectations) or "dbt" (a dbt data test)


@dataclass
class BuildSummary:
    build_id: str
    warehouse: Path
    seconds: float
    feeds: list[FeedLine] = field(default_factory=list)
    anomalies_by_type: dict[str, int] = field(default_factory=dict)
    checks: list[CheckLine] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None
    inputs: InputReport = field(default_factory=InputReport)  # files not read whole, warnings

    def exit_code(self) -> int:
        """0 built; 3 built, but some input files were not read whole (input_problems.py)."""
        return self.inputs.exit_code()

    def render(self) -> str:
        lines = [
            f"Built {self.warehouse} (build {self.build_id}) in {self.seconds:.1f} s",
            f"dbt log: {self.log_file}" if self.log_file else "",
            *self.inputs.problem_lines(),
            "",
            f"{'feed':<24}{'files':>6}{'read':>10}{'loaded':>10}{'rejected':>10}",
        ]
        for f in self.feeds:
            lines.append(
                f"{f.feed:<24}{f.files:>6}{f.rows_read:>10}{f.rows_loaded:>10}{f.rows_rejected:>10}"
                + (f"   ({f.unchanged} unchanged files skipped)" if f.unchanged else "")
            )
        total_read = sum(f.rows_read for f in self.feeds)
        total_loaded = sum(f.rows_loaded for f in self.feeds)
        total_rejected = sum(f.rows_rejected for f in self.feeds)
        lines.append(f"{'total':<24}{'':>6}{total_read:>10}{total_loaded:>10}{total_rejected:>10}")
        lines += self.inputs.reason_lines()
        if self.tables:
            lines += ["", "key tables (rows):"]
            lines += [f"  {name:<40}{rows:>10}" for name, rows in self.tables.items()]
        dbt_checks = [c for c in self.checks if c.kind == "dbt"]
        failing_dbt = [c.name for c in dbt_checks if not c.passed]
        lines += ["", "checks:"]
        for c in (c for c in self.checks if c.kind == "suite"):
            first = c.detail.splitlines()[0] if c.detail else ""
            lines.append(
                f"  {'PASS' if c.passed else 'WARN'} {c.name}" + ("" if c.passed else f": {first}")
            )
        lines.append(
            f"  dbt data tests: {len(dbt_checks) - len(failing_dbt)} passed, "
            f"{len(failing_dbt)} warned" + (f" ({', '.join(failing_dbt)})" if failing_dbt else "")
        )
        lines += ["", f"anomalies by type ({sum(self.anomalies_by_type.values())} findings):"]
        lines += [f"  {t:<32}{n:>6}" for t, n in sorted(self.anomalies_by_type.items())]
        return "\n".join(lines)


def new_build_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    lock_path = target.with_name(f".{target.name}.lock")
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildFailed(f"another build of {target} is running") from exc
        yield


def _remove_build_files(target: Path) -> None:
    for leftover in target.parent.glob(f".{target.name}.building-*"):
        leftover.unlink(missing_ok=True)


def _publish(building: Path, target: Path) -> None:
    con = warehouse.connect(building)
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    Path(f"{building}.wal").unlink(missing_ok=True)
    os.replace(building, target)


def run_build(
    sources: Path | None = None,
    target: Path | None = None,
    exports: Path | None = None,
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
) -> BuildSummary:
    """Build the warehouse from `sources` into `target` atomically; raise BuildFailed otherwise."""
    sources = (sources or warehouse.sources_path()).resolve()
    target = (target or warehouse.warehouse_path()).resolve()
    exports = (exports or warehouse.exports_path()).resolve()
    if not sources.is_dir():
        raise BuildFailed(f"sources folder not found: {sources}")
    target.parent.mkdir(parents=True, exist_ok=True)
    build_id = new_build_id()
    started = time.monotonic()
    with _build_lock(target):
        _remove_build_files(target)
        building = target.with_name(f".{target.name}.building-{build_id}")
        # Start from the last good warehouse so CEMS ingest stays incremental (content hashes).
        if target.exists() and not full_refresh:
            shutil.copy2(target, building)
        try:
            with _env(
                **{
                    warehouse.WAREHOUSE_ENV: str(building),
                    warehouse.SOURCES_ENV: str(sources),
                    warehouse.EXPORTS_ENV: str(exports),
                    warehouse.BUILD_ID_ENV: build_id,
                }
            ):
                checks = _execute_assets(instance)
                summary = summarize(building, build_id, time.monotonic() - started, checks)
                summary.log_file = build_log_path()
            _publish(building, target)
        except BaseException:
            building.unlink(missing_ok=True)
            Path(f"{building}.wal").unlink(missing_ok=True)
            raise
    summary.warehouse = target
    summary.seconds = time.monotonic() - started
    return summary


def _root_cause(error: Any) -> str:
    """The innermost error message: Dagster wraps the asset's own exception."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[-1] if lines else error.cls_name or "error"


def build_log_path() -> Path:
    """dbt's console output for this build: <DAGSTER_HOME>/build_logs/<build id>.log."""
    folder = ensure_dagster_home() / "build_logs"
    folder.mkdir(exist_ok=True)
    return folder / f"{warehouse.build_id()}.log"


def _execute_assets(instance: dg.DagsterInstance | None) -> list[CheckLine]:
    from dagster_project.definitions import defs

    job = defs().resolve_job_def("build_all_assets")
    if instance is None:
        ensure_dagster_home()
        instance = dg.DagsterInstance.get()
    # The console gets warnings only; every event is kept in the Dagster instance (see the UI).
    # dbt's own output (printed by dagster-dbt) goes to a per-build log file, not the terminal.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    log_path = build_log_path()
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(run_config=quiet, instance=instance, raise_on_error=False)
    if not result.success:
        failures = [
            f"{e.step_key}: {_root_cause(e.event_specific_data.error)}"
            for e in result.all_events
            if e.is_step_failure and e.event_specific_data and e.event_specific_data.error
        ]
        more = f" (and {len(failures) - 1} more failed steps)" if len(failures) > 1 else ""
        raise BuildFailed((failures[0] + more) if failures else "asset job failed")
    checks = []
    for evaluation in result.get_asset_check_evaluations():
        detail = evaluation.metadata.get("failed_expectations")
        kind = "suite" if detail is not None else "dbt"
        text = str(detail.value) if detail is not None else ""
        checks.append(CheckLine(evaluation.check_name, evaluation.passed, text, kind))
    return checks


def summarize(path: Path, build_id: str, seconds: float, checks: list[CheckLine]) -> BuildSummary:
    summary = BuildSummary(build_id=build_id, warehouse=path, seconds=seconds, checks=checks)
    con = warehouse.connect(path, read_only=True)
    try:
        rows = con.execute(
            """select feed, count(*) filter (where coalesce(note, '') not like 'unchanged%'),
                      sum(rows_read), sum(rows_loaded), sum(rows_rejected),
                      count(*) filter (where coalesce(note, '') like 'unchanged%')
               from audit.load_log where build_id = ? group by feed order by feed""",
            [build_id],
        ).fetchall()
        summary.feeds = [
            FeedLine(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), int(r[5]))
            for r in rows
        ]
        existing = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        summary.inputs = read_input_report(con, build_id)
        if "marts.monitoring_anomalies" in existing:
            summary.anomalies_by_type = dict(
                con.execute(
                    "select anomaly_type, count(*) from marts.monitoring_anomalies group by 1"
                ).fetchall()
            )
        for name in (
            "raw.cems_values",
            "marts.cems_hourly",
            "marts.emissions",
            "marts.inventory_key_industry",
            "marts.monitoring_anomalies",
            "marts.air_quality_daily",
            "marts.air_quality_rankings",
            "marts.dustfall_township_monthly",
            "audit.rejected_records",
        ):
            if name in existing:
                summary.tables[name] = int(
                    con.execute(f"select count(*) from {name}").fetchone()[0]
                )
    finally:
        con.close()
    return summary
