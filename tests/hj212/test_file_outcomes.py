"""Files that cannot be read whole: one reject row each, everything before the break loaded."""

from __future__ import annotations

import gzip
import random
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from dagster_project.hj212.logfile import read_log
from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import packet

T0 = datetime(2023, 11, 1)
SECRET = "Wqzjvk7"


def _hours(n: int, mn: str = "410883A1") -> bytes:
    rng = random.Random(7)  # distinct values: the compressed bytes map evenly onto the lines
    return "".join(
        packet(
            qn=f"{T0 + timedelta(hours=h, minutes=1):%Y%m%d%H%M%S}000",
            st="31",
            cn="2061",
            mn=mn,
            pw=SECRET,
            data_time=T0 + timedelta(hours=h),
            items=[("a21026", {"Avg": f"{rng.uniform(1, 90):.3f}", "Flag": "N"})],
        )
        for h in range(n)
    ).encode()


def _only(result, reason: str) -> dict:
    rows = result.rejects.filter(pl.col("reason") == reason).rows(named=True)
    assert len(rows) == 1, result.rejects
    return rows[0]


def test_a_gzip_log_cut_at_60_percent_keeps_every_whole_line(tmp_path: Path) -> None:
    data = gzip.compress(_hours(400))
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: int(len(data) * 0.6)])
    result = parse_files([path], root=tmp_path)
    problem = _only(result, "truncated_file")
    loaded = result.counts["packets_valid"]
    assert 150 < loaded < 400  # most of what was before the cut
    assert problem["line_no"] == loaded + 1  # the first line not read whole
    assert problem["raw_text"].startswith("##") and SECRET not in problem["raw_text"]
    assert "ends before its end marker" in problem["detail"]
    assert result.rejects.height == 1  # the cut line is the problem's text, not a second reject
    read, ok, rejected = result.per_file["cut.log.gz"]
    assert (read, ok, rejected) == (loaded + 1, loaded, 1)
    assert sorted(set(result.values["line_no"].to_list())) == list(range(1, loaded + 1))


def test_damaged_gzip_data_keep_what_came_before_the_damage(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(_hours(300)))
    for k in range(len(data) // 2, len(data) // 2 + 64):
        data[k] ^= 0xA5
    path = tmp_path / "damaged.log.gz"
    path.write_bytes(bytes(data))
    result = parse_files([path], root=tmp_path)
    rows = result.rejects.filter(pl.col("reason") != "crc_mismatch")
    problem = rows.row(0, named=True)
    assert rows.height == 1 and problem["reason"] in ("unreadable_file", "truncated_file")
    assert result.counts["packets_valid"] > 100
    c = result.counts
    assert c["packets_valid"] + c["rejected"] == c["lines_read"] + 1


def test_a_failed_gzip_check_is_reported_while_every_packet_is_checked(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(_hours(20)))
    data[-8] ^= 0xFF  # the CRC-32 in the trailer
    path = tmp_path / "crc.log.gz"
    path.write_bytes(bytes(data))
    result = parse_files([path], root=tmp_path)
    problem = _only(result, "unreadable_file")
    assert problem["line_no"] == 0 and "CRC-32" in problem["detail"]
    assert result.counts["packets_valid"] == 20


def test_bytes_after_the_gzip_stream_and_several_members(tmp_path: Path) -> None:
    two = gzip.compress(_hours(3)) + gzip.compress(_hours(6)[len(_hours(3)) :])
    (tmp_path / "members.log.gz").write_bytes(two)
    (tmp_path / "tail.log.gz").write_bytes(gzip.compress(_hours(4, "410883B2")) + b"garbage")
    result = parse_files(sorted(tmp_path.iterdir()), root=tmp_path)
    assert result.per_file["members.log.gz"] == (6, 6, 0)
    problem = _only(result, "unreadable_file")
    assert problem["source_file"] == "tail.log.gz" and problem["line_no"] == 5
    assert "7 bytes after the gzip stream" in problem["detail"]
    assert result.per_file["tail.log.gz"] == (5, 4, 1)


def test_a_file_that_cannot_be_read_is_a_reject(tmp_path: Path) -> None:
    unreadable = tmp_path / "dir.log"  # reading a directory fails like a locked file would
    unreadable.mkdir()
    result = parse_files([unreadable], root=tmp_path)
    problem = _only(result, "unreadable_file")
    assert problem["line_no"] == 0 and "cannot read the file" in problem["detail"]
    assert result.per_file["dir.log"] == (1, 0, 1)


def test_a_healthy_log_has_no_problem(tmp_path: Path) -> None:
    plain, packed = tmp_path / "a.log", tmp_path / "b.log.gz"
    plain.write_bytes(_hours(3))
    packed.write_bytes(gzip.compress(_hours(3)))
    assert read_log(plain).data == read_log(packed).data == _hours(3)
    assert read_log(plain).problem is None and read_log(packed).problem is None
