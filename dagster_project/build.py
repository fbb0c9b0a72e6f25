"""The atomic build: run every asset into a new file and swap it in only on success.

Analysts never see a half-built warehouse: the asset graph writes to
`.<name>.building-<build_id>` beside the warehouse and its exports to a staged folder; after the
last step (ingest, dbt, quality, the shrink guard, exports) succeeded, the warehouse is compacted
into a fresh file that replaces the old one with `os.replace`, and each export folder is swapped
with it (`operate/publish.py`). A failed, refused or killed build leaves the previous warehouse
and exports byte for byte as they were; its temporary files are removed by the build itself or,
if it was killed, by its supervisor or by the next build, which holds a lock so that two builds
never race. Each build keeps its log and dbt artifacts in `<state>/builds/<build id>/`; the
folders and Dagster runs of the last N builds are kept.
CEMS values live in the lake folder beside the warehouse (hj212/lake.py): a build only adds
files to it, and the warehouse's manifest says which belong to it, so the swap covers them too;
the next build deletes the files no warehouse lists.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import guard, paths, warehouse
from dagster_project.dagster_home import ensure_dagster_home
from dagster_project.hj212 import lake, manifest
from dagster_project.input_problems import InputReport, read_input_report
from dagster_project.operate import publish, retention, runs
from dagster_project.operate.build_paths import (
    BadInput,
    BuildFailed,
    BuildPaths,
    BuildRefused,
    new_build_id,
)
from dagster_project.operate.errors import root_cause
from dagster_project.operate.progress import Progress, reporting_to

GUARD_CHECK = "shrink_guard"


@dataclass
class FeedLine:
    feed: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    unchanged: int = 0  # files already ingested by an earlier build (same content hash)


# the detail of a dbt data test a CEMS-only nightly left alone (defs/transform/nightly.py): its
# result is the last complete dbt build's
NOT_RE_RUN = "not re-run: inputs unchanged since the last complete dbt build"


@dataclass
class CheckLine:
    name: str
    passed: bool
    detail: str
    kind: str  # "suite" (great-expectations), "dbt" (a dbt data test), "guard" (shrink guard)
    severity: str = "WARN"  # ERROR checks are blocking: a failed one fails the build


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
    exports: list[Path] = field(default_factory=list)
    accepted_shrink: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        """0 built; 3 built, but some input files were not read whole (input_problems.py)."""
        return self.inputs.exit_code()

    def counts(self) -> dict[str, Any]:
        """What the run history keeps of this build (lantian status)."""
        return {
            "rows_read": sum(f.rows_read for f in self.feeds),
            "rows_loaded": sum(f.rows_loaded for f in self.feeds),
            "rows_rejected": sum(f.rows_rejected for f in self.feeds),
            "checks": len(self.checks),
            "checks_passed": sum(c.passed for c in self.checks),
            "tables": self.tables,
            "anomalies": sum(self.anomalies_by_type.values()),
            "input_problems": len(self.inputs.file_problems),
        }

    def render(self) -> str:
        lines = [
            f"Built {self.warehouse} (build {self.build_id}) in {self.seconds:.1f} s",
            f"build log: {self.log_file}" if self.log_file else "",
            *(f"exports: {path}" for path in self.exports),
            *(f"accepted shrink (--accept-shrink): {s}" for s in self.accepted_shrink),
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
        for c in (c for c in self.checks if c.kind in ("suite", "guard") and not c.passed):
            lines.append(f"  WARN {c.name}: {c.detail.splitlines()[0]}")
        for c in (c for c in self.checks if c.kind == "suite" and c.passed):
            first = c.detail.splitlines()[0] if c.detail else ""
            lines.append(
                f"  {'PASS' if c.passed else 'WARN'} {c.name}" + ("" if c.passed else f": {first}")
            )
        carried = sum(c.detail == NOT_RE_RUN for c in dbt_checks)
        lines.append(
            f"  dbt data tests: {len(dbt_checks) - len(failing_dbt)} passed, "
            f"{len(failing_dbt)} warned"
            + (f" ({', '.join(failing_dbt)})" if failing_dbt else "")
            + (f"; {carried} of them {NOT_RE_RUN}" if carried else "")
        )
        lines += ["", f"anomalies by type ({sum(self.anomalies_by_type.values())} findings):"]
        lines += [f"  {t:<32}{n:>6}" for t, n in sorted(self.anomalies_by_type.items())]
        return "\n".join(lines)


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
            raise BuildFailed(
                f"another build of {target} is running; this one changed nothing"
            ) from exc
        yield


def _collect_lake_garbage(target: Path) -> None:
    """Delete the lake files no warehouse lists (a killed or failed build's), under the lock."""
    lake_dir = warehouse.lake_path(target)
    if lake_dir.is_dir():
        lake.collect_garbage(lake_dir, _lake_files_of(target))


def _lake_files_of(target: Path) -> list[str]:
    """The lake files the warehouse lists (none when there is no warehouse or no manifest)."""
    if not target.exists():
        return []
    con = warehouse.connect(target, read_only=True)
    try:
        listed = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'cems_lake_files'"
        ).fetchone()[0]
        if not listed:
            return []
        return [p for (p,) in con.execute("select path from audit.cems_lake_files").fetchall()]
    finally:
        con.close()


def _previous_measures(target: Path, full_refresh: bool) -> dict[str, float] | None:
    """What the guard compares with; None for a first build. A warehouse that cannot be read is
    named as the user knows it, not as the build's temporary copy."""
    if not target.exists():
        return None
    try:
        con = warehouse.connect(target, read_only=True)
        try:
            return guard.measure(con)
        finally:
            con.close()
    except Exception as exc:
        if full_refresh:
            return None
        raise BuildFailed(
            f"the previous warehouse {target} cannot be read ({root_cause(exc)}); "
            "move it aside or rebuild with --full-refresh"
        ) from exc


def run_build(
    sources: Path | None = None,
    target: Path | None = None,
    exports: Path | None = None,
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
    state: Path | None = None,
    keep_builds: int = retention.DEFAULT_KEEP_BUILDS,
    accept_shrink: bool = False,
    max_drop: float = guard.DEFAULT_MAX_DROP,
    build_id: str | None = None,
    progress: Progress | None = None,
    cems_days: Sequence[date] = (),
) -> BuildSummary:
    """Build the warehouse from `sources` into `target` atomically; raise BuildFailed otherwise
    (BuildRefused when the shrink guard refused the swap, BadInput for unusable arguments).
    The CEMS marts are recomputed for the days new or changed packet logs touch, and for
    `cems_days` (a partition run or a backfill)."""
    where = BuildPaths.resolve(sources, target, exports, state)
    if not where.sources.is_dir():
        raise BadInput(f"sources folder not found: {where.sources}")
    where.target.parent.mkdir(parents=True, exist_ok=True)
    build_id = build_id or new_build_id()
    progress = progress or Progress(io.StringIO(), quiet=True)
    folder = paths.build_dir(build_id, where.state)
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / "build.log"
    if instance is None:
        ensure_dagster_home(where.state)
        instance = dg.DagsterInstance.get()
    run_id: list[str] = []
    try:
        with _build_lock(where.target):
            try:
                summary = _build_locked(
                    where,
                    build_id,
                    full_refresh,
                    instance,
                    accept_shrink,
                    max_drop,
                    progress,
                    log_file,
                    run_id,
                    cems_days,
                    keep_builds,
                )
            finally:  # under the lock: never prune the folder of a build that is running
                retention.prune_build_folders(paths.builds_dir(where.state), keep_builds, build_id)
                with contextlib.suppress(Exception):
                    runs.prune_runs(instance, where.target, keep_builds)
        _record(instance, run_id, "published", "", summary)
        return summary
    except BaseException as exc:
        reason = root_cause(exc) if not isinstance(exc, BuildFailed) else str(exc)
        outcome = "refused" if isinstance(exc, BuildRefused) else "failed"
        with open(log_file, "a", encoding="utf-8") as log:
            log.write(f"\nbuild {outcome}: {reason}\n{traceback.format_exc()}")
        _record(instance, run_id, outcome, reason, None)
        raise


def _record(
    instance: dg.DagsterInstance,
    run_id: list[str],
    outcome: str,
    reason: str,
    summary: BuildSummary | None,
) -> None:
    if run_id:
        runs.record_outcome(
            instance, run_id[0], outcome, reason, summary.counts() if summary else None
        )


def _build_locked(
    where: BuildPaths,
    build_id: str,
    full_refresh: bool,
    instance: dg.DagsterInstance,
    accept_shrink: bool,
    max_drop: float,
    progress: Progress,
    log_file: Path,
    run_id: list[str],
    cems_days: Sequence[date] = (),
    keep_builds: int = retention.DEFAULT_KEEP_BUILDS,
) -> BuildSummary:
    started = time.monotonic()
    # Nothing else can be building this warehouse now: leftovers are from killed builds.
    publish.remove_build_files(where.target)
    _collect_lake_garbage(where.target)
    publish.remove_unreferenced_exports(where.exports)
    guard_file = log_file.with_name("guard.json")
    settings = guard.GuardSettings(
        _previous_measures(where.target, full_refresh), max_drop, accept_shrink
    )
    settings.write(guard_file)
    building = publish.building_path(where.target, build_id)
    staged = publish.staged_exports(where.exports, build_id)
    progress.note(
        f"build {build_id}: {where.sources} -> {where.target}"
        + (" (first build)" if settings.previous is None else ""),
        build_id=build_id,
        log=str(log_file),
    )
    try:
        with _env(
            **{
                warehouse.WAREHOUSE_ENV: str(building),
                warehouse.DBT_WAREHOUSE_ENV: str(publish.link_for_dbt(building, where.target)),
                warehouse.SOURCES_ENV: str(where.sources),
                warehouse.EXPORTS_ENV: str(staged),
                warehouse.BUILD_ID_ENV: build_id,
                paths.STATE_ENV: str(where.state),
                guard.GUARD_FILE_ENV: str(guard_file),
                warehouse.LAKE_ENV: str(warehouse.lake_path(where.target)),
                warehouse.CEMS_DAYS_ENV: ",".join(d.isoformat() for d in cems_days),
            }
        ):
            # Start from the last good warehouse so CEMS ingest stays incremental (content
            # hashes). The copy (seconds for a county-year) runs while the project loads.
            with ThreadPoolExecutor(max_workers=1) as copier:
                copied = (
                    copier.submit(shutil.copy2, where.target, building)
                    if where.target.exists() and not full_refresh
                    else None
                )
                job = _build_job(log_file)
                if copied is not None:
                    copied.result()
            tags = runs.launch_tags(build_id, where.target, where.sources, accept_shrink)
            checks = _execute_assets(job, instance, tags, progress, log_file, run_id)
        with contextlib.closing(warehouse.connect(building)) as con:
            retention.prune_unchanged_loads(con, keep_builds)
        summary = summarize(building, build_id, time.monotonic() - started, checks)
        summary.log_file = log_file
        accepted = [c for c in checks if c.name == GUARD_CHECK and c.detail not in ("", "none")]
        summary.accepted_shrink = [c.detail for c in accepted]
        progress.note("publishing: swapping the warehouse in with its exports")
        published = publish.publish_exports(where.exports, build_id)
        if publish.publish_warehouse(building, where.target):
            progress.note("published a compacted copy (the build left much free space)")
    except BaseException:
        publish.remove_build_files(where.target, build_id)
        shutil.rmtree(staged, ignore_errors=True)
        raise
    publish.remove_dbt_link(where.target)
    publish.remove_unreferenced_exports(where.exports)
    summary.warehouse = where.target
    summary.exports = [where.exports / name for name in published]
    summary.seconds = time.monotonic() - started
    return summary


def _build_job(log_file: Path) -> dg.JobDefinition:
    """The job that materializes every asset, from the project's definitions (what loading them
    prints goes to the build log)."""
    with (
        open(log_file, "a", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        from dagster_project.definitions import defs

        try:
            return defs().resolve_job_def("build_all_assets")
        except Exception as exc:
            raise BuildFailed(f"the project does not load: {root_cause(exc)}") from exc


def _execute_assets(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    tags: dict[str, str],
    progress: Progress,
    log_file: Path,
    run_id: list[str],
) -> list[CheckLine]:
    # The terminal gets one line per stage; every event is kept in the Dagster instance (see
    # the UI) and in the build log, with dbt's own output.
    run_config = {"loggers": {"lantian_progress": {"config": {"log_file": str(log_file)}}}}
    with (
        open(log_file, "a", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
        reporting_to(progress),
    ):
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=tags
        )
    run_id.append(result.run_id)
    checks = [_check_line(e) for e in result.get_asset_check_evaluations()]
    step_failures = [
        f"{e.step_key}: {root_cause(e.event_specific_data.error)}"
        for e in result.all_events
        if e.is_step_failure and e.event_specific_data and e.event_specific_data.error
    ]
    failure = verdict(checks, step_failures, result.success)
    if failure is not None:
        raise failure
    return checks


def verdict(
    checks: list[CheckLine], step_failures: list[str], succeeded: bool
) -> BuildFailed | None:
    """Why the run must not be published, if it must not: the shrink guard's refusal (exit 3),
    a failed blocking (ERROR) check, or a failed step (exit 1), with its reason first."""
    refused = [c for c in checks if c.name == GUARD_CHECK and not c.passed]
    if refused:
        problems = [line for c in refused for line in c.detail.splitlines()]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return BuildRefused(
            f"refused to replace the warehouse: {problems[0]}{more}; the previous warehouse "
            "and exports are kept (--accept-shrink accepts a real change)"
        )
    blocking = [c for c in checks if not c.passed and c.severity == "ERROR"]
    reasons = [f"check {c.name} failed: {c.detail or 'see the log'}" for c in blocking]
    reasons += [f for f in step_failures if not any(c.name in f for c in blocking)]
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        return BuildFailed(reasons[0] + more)
    return None if succeeded else BuildFailed("the asset job failed (see the log)")


def _check_line(evaluation: Any) -> CheckLine:
    meta = evaluation.metadata
    problems = meta.get("problems")
    detail = meta.get("failed_expectations")
    if problems is not None:
        kind, text = "guard", str(problems.value)
    elif detail is not None:
        kind, text = "suite", str(detail.value)
    else:
        kind, text = "dbt", NOT_RE_RUN if "re_run" in meta else ""
    severity = getattr(evaluation.severity, "value", str(evaluation.severity))
    name = evaluation.check_name
    return CheckLine(name, evaluation.passed, text, kind, severity)


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
            if name == "raw.cems_values" and name in existing:
                summary.tables[name] = manifest.value_count(con)
            elif name in existing:
                summary.tables[name] = int(
                    con.execute(f"select count(*) from {name}").fetchone()[0]
                )
    finally:
        con.close()
    return summary
