"""Bounded state: the last N builds' folders (log, dbt artifacts) and Dagster runs are kept."""

from __future__ import annotations

import shutil
from pathlib import Path

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
