"""Which files under sources/cems/ are packet logs, and their names (hj212/landed.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dagster_project.hj212.landed import landed_logs


def _touch(path: Path, text: str = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_file_at_any_depth_except_hidden_and_open_ones(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    cems = sources / "cems"
    _touch(cems / "a.log")
    _touch(cems / "platform" / "b_202301.log.gz")
    _touch(cems / "landing" / "MN1" / "2024030100.log")
    _touch(cems / "landing" / "MN1" / "2024030101.log.part")  # the open hour
    _touch(cems / "landing" / ".station" / "journal-1.wal")  # hidden folder
    _touch(cems / "landing" / "MN1" / ".2024030100.log.swp")  # hidden file
    _touch(cems / "notes.txt")  # any name is a log

    logs = landed_logs(cems, sources)

    assert list(logs) == [
        "cems/a.log",
        "cems/landing/MN1/2024030100.log",
        "cems/notes.txt",
        "cems/platform/b_202301.log.gz",
    ]
    log = logs["cems/a.log"]
    stat = (cems / "a.log").stat()
    assert (log.size, log.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert Path(log.path) == cems / "a.log"


def test_links_are_named_by_where_they_resolve(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    cems = sources / "cems"
    elsewhere = tmp_path / "other-disk"
    inside = _touch(sources / "archive" / "old.log")
    outside = _touch(elsewhere / "far.log")
    _touch(elsewhere / "folder" / "c.log")
    cems.mkdir(parents=True)
    os.symlink(inside, cems / "linked-inside.log")
    os.symlink(outside, cems / "linked-outside.log")
    os.symlink(elsewhere / "folder", cems / "linked-folder")  # not entered, as rglob did

    logs = landed_logs(cems, sources)

    assert sorted(logs) == sorted(["archive/old.log", (cems / "linked-outside.log").as_posix()])


def test_a_cems_folder_that_is_a_link_names_its_logs_as_resolved(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    real = sources / "real-cems"
    _touch(real / "MN1" / "x.log")
    os.symlink(real, sources / "cems")
    assert list(landed_logs(sources / "cems", sources)) == ["real-cems/MN1/x.log"]

    far = tmp_path / "other-disk" / "cems"
    _touch(far / "y.log")
    other = tmp_path / "sources2"
    other.mkdir()
    os.symlink(far, other / "cems")
    assert list(landed_logs(other / "cems", other)) == [(other / "cems" / "y.log").as_posix()]


def test_a_sources_root_reached_through_a_link_names_logs_relative_to_it(tmp_path: Path) -> None:
    disk = tmp_path / "disk" / "sources"
    _touch(disk / "cems" / "MN1" / "x.log")
    os.symlink(disk, tmp_path / "sources")
    sources = tmp_path / "sources"
    assert list(landed_logs(sources / "cems", sources)) == ["cems/MN1/x.log"]


def test_a_folder_that_cannot_be_listed_stops_the_walk(tmp_path: Path, monkeypatch) -> None:
    sources = tmp_path / "sources"
    _touch(sources / "cems" / "MN1" / "x.log")
    locked = sources / "cems" / "MN2"
    _touch(locked / "y.log")
    real_scandir = os.scandir

    def scandir(path):  # the tests run as root, whom file modes do not stop
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(PermissionError, match=r"cannot list .*MN2 under the CEMS sources"):
        landed_logs(sources / "cems", sources)
