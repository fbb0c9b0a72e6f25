"""The run history of builds: what each build's Dagster run is tagged with, and `lantian status`.

Every `lantian build` executes the asset graph as one Dagster run tagged with the build id, the
warehouse, the sources and whether the operator accepted a shrink. When the build ends, the run
gains its outcome (published, refused, failed), the one-line reason and the summary counts, so
the history in the Dagster instance (and its UI) says what happened to every build.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

TAG = "lantian/"
BUILD_ID = TAG + "build_id"
WAREHOUSE = TAG + "warehouse"
SOURCES = TAG + "sources"
ACCEPT_SHRINK = TAG + "accept_shrink"
OUTCOME = TAG + "outcome"
REASON = TAG + "reason"
SUMMARY = TAG + "summary"
JOB_NAME = "build_all_assets"


def launch_tags(
    build_id: str, warehouse: Path, sources: Path, accept_shrink: bool
) -> dict[str, str]:
    return {
        BUILD_ID: build_id,
        WAREHOUSE: str(warehouse),
        SOURCES: str(sources),
        ACCEPT_SHRINK: "true" if accept_shrink else "false",
    }


def record_outcome(
    instance: dg.DagsterInstance,
    run_id: str,
    outcome: str,
    reason: str = "",
    summary: Mapping[str, Any] | None = None,
) -> None:
    tags = {OUTCOME: outcome, REASON: reason[:500]}
    if summary is not None:
        tags[SUMMARY] = json.dumps(summary, sort_keys=True, separators=(",", ":"))
    instance.add_run_tags(run_id, tags)


@dataclass(frozen=True)
class BuildRecord:
    build_id: str
    run_id: str
    started: datetime | None
    seconds: float | None
    outcome: str
    reason: str
    accept_shrink: bool
    summary: dict[str, Any]


def _record(instance: dg.DagsterInstance, run: dg.DagsterRun) -> BuildRecord:
    stats = instance.get_run_stats(run.run_id)
    start, end = stats.start_time, stats.end_time
    tags = run.tags
    outcome = tags.get(OUTCOME) or ("running" if end is None else run.status.value.lower())
    return BuildRecord(
        build_id=tags.get(BUILD_ID, ""),
        run_id=run.run_id,
        started=datetime.fromtimestamp(start) if start else None,
        seconds=(end - start) if start and end else None,
        outcome=outcome,
        reason=tags.get(REASON, ""),
        accept_shrink=tags.get(ACCEPT_SHRINK) == "true",
        summary=json.loads(tags[SUMMARY]) if tags.get(SUMMARY) else {},
    )


def _build_runs(instance: dg.DagsterInstance, warehouse: Path | None) -> list[dg.DagsterRun]:
    tags = {WAREHOUSE: str(warehouse)} if warehouse is not None else {}
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, tags=tags))
    return [r for r in runs if BUILD_ID in r.tags]


def recent_builds(
    instance: dg.DagsterInstance, warehouse: Path | None, limit: int = 10
) -> list[BuildRecord]:
    """The newest builds first."""
    return [_record(instance, r) for r in _build_runs(instance, warehouse)[:limit]]


def prune_runs(instance: dg.DagsterInstance, warehouse: Path, keep: int) -> int:
    """Delete the Dagster runs (and captured logs) of all but the newest `keep` builds."""
    doomed = _build_runs(instance, warehouse)[max(keep, 1) :]
    storage = Path(instance.root_directory) / "storage"
    for run in doomed:
        instance.delete_run(run.run_id)
        shutil.rmtree(storage / run.run_id, ignore_errors=True)
    return len(doomed)


def render(records: list[BuildRecord], warehouse: Path) -> str:
    if not records:
        return f"no builds of {warehouse} in the run history"
    header = (
        f"{'started':<20}{'seconds':>8}  {'result':<10}{'read':>9}{'loaded':>9}{'rejected':>9}"
        f"{'checks':>9}  build / reason"
    )
    lines = [f"builds of {warehouse} (newest first)", header]
    for r in records:
        s = r.summary
        checks = f"{s.get('checks_passed', '')}/{s.get('checks', '')}" if s else ""
        result = r.outcome + ("*" if r.accept_shrink else "")
        lines.append(
            f"{r.started.strftime('%Y-%m-%d %H:%M:%S') if r.started else '?':<20}"
            f"{f'{r.seconds:.0f}' if r.seconds is not None else '':>8}  {result:<10}"
            f"{s.get('rows_read', ''):>9}{s.get('rows_loaded', ''):>9}"
            f"{s.get('rows_rejected', ''):>9}{checks:>9}  {r.build_id}"
            + (f": {r.reason}" if r.reason else "")
        )
    if any(r.accept_shrink for r in records):
        lines.append("* built with --accept-shrink")
    return "\n".join(lines)
