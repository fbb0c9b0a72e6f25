"""Bounded state: the last N builds' folders (log, dbt artifacts) and Dagster runs are kept, and
the warehouse's 'unchanged, skipped' load_log rows of those builds only."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

DEFAULT_KEEP_BUILDS = 14  # two weeks of nightly builds
KEEP_ENV = "LANTIAN_KEEP_BUILDS"


def prune_build_folders(builds: Path, keep: int, current: str | None = None) -> list[str]:
    """Remove all but the newest `keep` build folders (names sort by start time)."""
    if not builds.is_dir():
        return []
    folders = sorted((p for p in builds.iterdir() if p.is_dir()), key=lambda p: p.name)
    doomed = [p for p in folders[: max(len(folders) - max(keep, 1), 0)] if p.name != current]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return [p.name for p in doomed]


def prune_unchanged_loads(con: duckdb.DuckDBPyConnection, keep: int) -> int:
    """Delete the 'unchanged, skipped' rows of audit.load_log of all but the newest `keep`
    builds (those whose folders and runs are kept); return how many went. Such a row says only
    that a build found a file as an earlier build had read it: the row of the build that read
    it, with its counts and rejects, stays. Without this, a receiving station's hourly logs
    would add a row per log every night (~876,000 a night for 100 outlets by December)."""
    deleted = con.execute(
        """delete from audit.load_log
           where coalesce(note, '') like 'unchanged%'
             and build_id not in (
                 select build_id from audit.load_log group by build_id
                 order by max(loaded_at) desc nulls last, build_id desc limit ?)""",
        [max(keep, 1)],
    ).fetchone()
    return int(deleted[0]) if deleted else 0
