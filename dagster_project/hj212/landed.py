"""The packet logs under `sources/cems/`, found by walking the folder once.

A receiving station lands one log per MN and hour (receiver/landing.py): a year of 100 outlets is
~876,000 files, and every build looks at each of them to learn which are new or changed. The
walk takes each log's name and size and modification time from its directory entry
(`os.scandir`): no path object, `resolve()` or second `stat` per file.

What is a log: every file at any depth, except hidden files and folders (a name starting with
".", e.g. the station's `.station/` journal) and files still being written (`*.part`). Folders
reached through a symbolic link are not entered; a linked file is a log. A folder that cannot be
listed stops the build (its logs would otherwise look gone and their rows be dropped).

A log's name is its path relative to the sources root, with the links in it resolved (a linked
file, or a `cems` folder that is itself a link, is named by where it resolves to, or by its path
as given when that lies outside the root). Below the folder's resolved place, a log that is no
link is named by its path in the walk, which is what resolving it gives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OPEN_SUFFIX = ".part"  # a file still being written (the receiving station's open hour)


@dataclass(frozen=True, slots=True)
class Log:
    """A log found by the walk (its name, relative to the sources root, is its key)."""

    path: str  # as walked (a Path is made only for the logs read)
    size: int
    mtime_ns: int


def landed_logs(cems_dir: Path, root: Path) -> dict[str, Log]:
    """Every log under `cems_dir` (see the module docstring) by name, in name order."""
    root_real = root.resolve()
    try:  # the name prefix of the logs below cems_dir when no link is on the way
        prefix: str | None = cems_dir.resolve().relative_to(root_real).as_posix()
    except ValueError:
        prefix = None
    found: dict[str, Log] = {}
    folders: list[tuple[str, str | None]] = [(os.fspath(cems_dir), prefix)]
    while folders:
        folder, at = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except PermissionError as exc:  # its logs would look gone, and their rows be dropped
            raise PermissionError(
                f"cannot list {folder} under the CEMS sources ({exc.strerror}): the build "
                "would miss its logs; give the build's user read access to it"
            ) from exc
        except (FileNotFoundError, NotADirectoryError):  # went while we walked
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, None if at is None else f"{at}/{entry.name}"))
            elif entry.is_file() and not entry.name.endswith(OPEN_SUFFIX):
                stat = entry.stat()
                if at is not None and not entry.is_symlink():
                    name = f"{at}/{entry.name}" if at else entry.name
                else:
                    name = resolved_name(Path(entry.path), root_real)
                found[name] = Log(entry.path, stat.st_size, stat.st_mtime_ns)
    return dict(sorted(found.items()))


def resolved_name(path: Path, root: Path) -> str:
    """`path` resolved, relative to `root` (resolved), else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
