"""Publishing a finished build: the compacted warehouse and its exports replace the old ones.

* The warehouse is built into `.<name>.building-<build id>` (a copy of the previous one, so CEMS
  ingest stays incremental). When more than `MAX_FREE_SHARE` of its blocks are free (the space of
  replaced tables), it is first copied table by table into a fresh file, so a warehouse never
  grows by every replaced table; otherwise the building file itself is published. A nightly
  frees the blocks of the few days of marts it rewrote and of the CEMS models it rebuilds whole
  (the hourly grid, its substitution, the detectors' input and operating state: ~18 % of the
  100-outlet year's blocks); the next nightly reuses them, so compacting them away every night
  would copy the whole warehouse (14 s there) for space that is taken again the next night.
  DuckDB reuses free blocks, so the file stays within 1 / (1 - MAX_FREE_SHARE) of a fresh
  build's size. The file replaces the warehouse with `os.replace`: an analyst's open
  connection keeps reading the old file, new connections see the new one.
* dbt opens the building file through a stable link, `.<name>.dbt`, so the profile it parsed the
  project with stays the same from build to build and its saved parse is reused.
* Exports are written into `<exports>/.builds/<build id>/<name>` (one folder per year and
  `reports/`); publishing points `<exports>/<name>` at them with a symlink swapped by
  `os.replace`, so each folder changes atomically and a refused or failed build leaves the
  published exports byte for byte as they were. Folders no symlink points at are removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

STAGED = ".builds"
# compact before publishing when more than this share of the file's blocks are free (above what
# a nightly frees and the next one reuses; a full rebuild frees about half)
MAX_FREE_SHARE = 0.25


def building_path(target: Path, build_id: str) -> Path:
    return target.with_name(f".{target.name}.building-{build_id}")


def staged_exports(exports: Path, build_id: str) -> Path:
    return exports / STAGED / build_id


def dbt_link(target: Path) -> Path:
    """The stable path dbt opens the building warehouse by (see `link_for_dbt`)."""
    return target.with_name(f".{target.name}.dbt")


def link_for_dbt(building: Path, target: Path) -> Path:
    """Point `dbt_link(target)` at this build's file (one build per warehouse holds the lock)
    and drop a write-ahead log a killed dbt left beside the link: it belongs to another file."""
    link = dbt_link(target)
    Path(f"{link}.wal").unlink(missing_ok=True)
    staged = link.with_name(f"{link.name}.new")
    staged.unlink(missing_ok=True)
    staged.symlink_to(building.name)
    os.replace(staged, link)
    return link


def remove_dbt_link(target: Path, build_id: str | None = None) -> None:
    """The dbt link and its log; given a build, only while the link points at that build's file
    (a killed build's clean-up must not take the link of the build that started after it)."""
    link = dbt_link(target)
    if build_id is not None:
        try:
            if os.readlink(link) != building_path(target, build_id).name:
                return
        except OSError:  # no link
            return
    for leftover in (link, Path(f"{link}.wal"), link.with_name(f"{link.name}.new")):
        leftover.unlink(missing_ok=True)


def remove_build_files(target: Path, build_id: str | None = None) -> None:
    """The temporary files of one build (or of every build, when none can be running): the
    building file, its .wal, its compacted copy and the dbt link."""
    for leftover in target.parent.glob(f".{target.name}.building-{build_id or ''}*"):
        leftover.unlink(missing_ok=True)
    remove_dbt_link(target, build_id)


def compact(building: Path, dest: Path) -> None:
    """Copy every schema, table, view and macro of `building` into the new file `dest`."""
    dest.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        con.execute("set enable_progress_bar = false")
        con.execute("checkpoint")
        source = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach '{_sql_text(str(dest))}' as compacted")
        con.execute(f'copy from database "{source}" to compacted')
        con.execute("detach compacted")
    finally:
        con.close()
    Path(f"{dest}.wal").unlink(missing_ok=True)


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def free_share(path: Path) -> float:
    """The share of the database file's blocks that are free, after a checkpoint."""
    con = duckdb.connect(str(path))
    try:
        con.execute("checkpoint")
        total, free = con.execute(
            "select total_blocks, free_blocks from pragma_database_size()"
            " where database_name = current_database()"
        ).fetchone()
    finally:
        con.close()
    return free / total if total else 0.0


def publish_warehouse(building: Path, target: Path) -> bool:
    """Replace `target` with the finished build; return whether it was compacted first."""
    compacting = free_share(building) > MAX_FREE_SHARE
    if compacting:
        compacted = Path(f"{building}.compact")
        compact(building, compacted)
        os.replace(compacted, target)
        building.unlink(missing_ok=True)
    else:
        os.replace(building, target)
    Path(f"{building}.wal").unlink(missing_ok=True)
    return compacting


def publish_exports(exports: Path, build_id: str) -> list[str]:
    """Point `<exports>/<name>` at this build's staged folders; return the names published."""
    staged = staged_exports(exports, build_id)
    if not staged.is_dir():
        return []
    names = sorted(p.name for p in staged.iterdir() if p.is_dir())
    for name in names:
        link = exports / name
        if link.exists() and not link.is_symlink():
            # A folder from before exports were staged: moved aside once (removed with the
            # unreferenced staged folders).
            legacy = exports / STAGED / f"legacy-{build_id}"
            legacy.mkdir(parents=True, exist_ok=True)
            os.replace(link, legacy / name)
        tmp = exports / f".{name}.link-{build_id}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path(STAGED) / build_id / name)
        os.replace(tmp, link)
    return names


def referenced_builds(exports: Path) -> set[str]:
    found = set()
    if exports.is_dir():
        for link in exports.iterdir():
            if link.is_symlink():
                parts = Path(os.readlink(link)).parts
                if len(parts) >= 2 and parts[0] == STAGED:
                    found.add(parts[1])
    return found


def remove_unreferenced_exports(exports: Path, keep: set[str] = frozenset()) -> None:
    """Staged folders of builds that failed, were refused or were replaced by a newer build."""
    root = exports / STAGED
    if not root.is_dir():
        return
    live = referenced_builds(exports) | set(keep)
    for folder in root.iterdir():
        if folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)
