"""Publishing a finished build: the compacted warehouse and its exports replace the old ones.

* The warehouse is built into `.<name>.building-<build id>` (a copy of the previous one, so CEMS
  ingest stays incremental) and then copied table by table into a fresh file: a rebuild from the
  same sources gives a file of the same size instead of growing by every replaced table. That
  file replaces the warehouse with `os.replace`: an analyst's open connection keeps reading the
  old file, new connections see the new one.
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


def building_path(target: Path, build_id: str) -> Path:
    return target.with_name(f".{target.name}.building-{build_id}")


def staged_exports(exports: Path, build_id: str) -> Path:
    return exports / STAGED / build_id


def remove_build_files(target: Path, build_id: str | None = None) -> None:
    """The temporary files of one build (or of every build, when none can be running): the
    building file, its .wal and its compacted copy."""
    for leftover in target.parent.glob(f".{target.name}.building-{build_id or ''}*"):
        leftover.unlink(missing_ok=True)


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


def publish_warehouse(building: Path, target: Path) -> None:
    compacted = Path(f"{building}.compact")
    compact(building, compacted)
    os.replace(compacted, target)
    building.unlink(missing_ok=True)
    Path(f"{building}.wal").unlink(missing_ok=True)


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
