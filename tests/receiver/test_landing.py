"""Landing files: group commit, hourly roll, crash recovery from the journal."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.receiver.landing import BEIJING, LandingStore, hour_key, landed_lines

T = datetime(2024, 3, 1, 8, 59, 30, tzinfo=BEIJING).timestamp()


def _line(i: int) -> bytes:
    return b"##0010QN=%07dABCD\r\n" % i


def test_hour_key_is_beijing_time() -> None:
    assert hour_key(T) == "2024030108"
    assert hour_key(datetime(2024, 3, 1, 0, 30, tzinfo=BEIJING).timestamp()) == "2024030100"


def test_commit_appends_to_the_hours_part_files_and_rolls_at_the_hour(tmp_path: Path) -> None:
    store = LandingStore(tmp_path)
    store.open()
    store.commit([("A", _line(1)), ("B", _line(2)), ("A", _line(3))], T)
    assert (tmp_path / "A/2024030108.log.part").read_bytes() == _line(1) + _line(3)
    assert len(list((tmp_path / ".station").glob("journal-*.wal"))) == 1
    store.commit([("A", _line(4))], T + 60)  # 09:00:30: the 08 hour closes
    store.tick(T + 61)
    store.close()
    assert (tmp_path / "A/2024030108.log").read_bytes() == _line(1) + _line(3)
    assert (tmp_path / "B/2024030108.log").read_bytes() == _line(2)
    assert (tmp_path / "A/2024030109.log").read_bytes() == _line(4)
    assert not list(tmp_path.glob("*/*.part"))
    assert not list((tmp_path / ".station").glob("journal-*"))


def test_idle_tick_closes_the_hour(tmp_path: Path) -> None:
    store = LandingStore(tmp_path)
    store.open()
    store.commit([("A", _line(1))], T)
    store.tick(T + 10)
    assert (tmp_path / "A/2024030108.log.part").exists()
    store.tick(T + 3600)
    store.close()
    assert (tmp_path / "A/2024030108.log").exists()


def test_a_crash_is_recovered_from_the_journal(tmp_path: Path) -> None:
    store = LandingStore(tmp_path)
    store.open()
    store.commit([("A", _line(1)), ("B", _line(2))], T)
    store.commit([("A", _line(3))], T)
    journal = next((tmp_path / ".station").glob("journal-*.wal"))
    # as after kill -9: the .part lost its last append, the journal has a torn record
    (tmp_path / "A/2024030108.log.part").write_bytes(_line(1))
    with open(journal, "ab") as fh:
        fh.write(b"A/2024030108\t##0010QN=00000")
    os.close(store._lock_fd)  # the dead process's lock goes with it
    again = LandingStore(tmp_path)
    report = again.open()
    assert (report.journals, report.packets, report.files_closed) == (1, 3, 2)
    assert report.torn_bytes > 0
    assert (tmp_path / "A/2024030108.log").read_bytes() == _line(1) + _line(3)
    assert (tmp_path / "B/2024030108.log").read_bytes() == _line(2)
    # the same hour goes on in a new file: closed files are never written again
    again.commit([("A", _line(4))], T + 1)
    again.close()
    assert (tmp_path / "A/2024030108-2.log").read_bytes() == _line(4)
    assert [line for _, line in landed_lines(tmp_path)] == [
        _line(i).rstrip(b"\r\n")
        for i in (4, 1, 3, 2)  # A/..08-2.log sorts first
    ]


def test_an_orphan_part_file_is_closed_at_start(tmp_path: Path) -> None:
    (tmp_path / "A").mkdir()
    (tmp_path / "A/2024030107.log").write_bytes(_line(0))
    (tmp_path / "A/2024030107.log.part").write_bytes(_line(1))
    store = LandingStore(tmp_path)
    assert store.open().files_closed == 1
    store.close()
    assert (tmp_path / "A/2024030107-2.log").read_bytes() == _line(1)
    assert (tmp_path / "A/2024030107.log").read_bytes() == _line(0)


def test_one_station_per_landing_folder(tmp_path: Path) -> None:
    first = LandingStore(tmp_path)
    first.open()
    with pytest.raises(RuntimeError, match="another station"):
        LandingStore(tmp_path).open()
    first.close()
