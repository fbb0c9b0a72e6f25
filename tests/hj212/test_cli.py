"""`lantian hj212 parse`: parquet outputs with the contract columns, counts by outcome."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dagster_project import warehouse
from dagster_project.hj212.cli import run_parse_command, summary
from dagster_project.hj212.writer import frame
from tests.hj212.conftest import load_samples


def test_parse_command_writes_values_and_rejects(write_log, tmp_path: Path) -> None:
    log = write_log([s.packet for s in load_samples()], "vendor.log")
    out = tmp_path / "out"
    counts = run_parse_command([log], out)
    values = pl.read_parquet(out / "values.parquet")
    rejects = pl.read_parquet(out / "rejects.parquet")
    assert values.columns[: len(warehouse.CEMS_VALUES_COLUMNS)] == list(
        warehouse.CEMS_VALUES_COLUMNS
    )
    assert values.schema["data_time"] == pl.Datetime("us") and values.schema["value"] == pl.Float64
    assert rejects.columns == ["source_file", "line_no", "reason", "raw_text", "detail"]
    assert counts["lines_read"] == 40 and counts["packets_valid"] + counts["rejected"] == 40
    assert counts["rejected_crc_modbus_le"] == 3 and counts["rejected_duplicate"] == 1
    assert rejects.height == counts["rejected"] and values.height == counts["values"]
    assert "PW=******" in rejects["raw_text"][0]
    assert "rejected_crc_mismatch" in summary(counts)


def test_values_come_out_in_line_order(write_log, tmp_path: Path) -> None:
    """An irregular CP (parsed item by item) ahead of regular ones still comes first."""

    def seg(i: int, cp: str) -> str:
        head = f"QN=202403011100{i:02d}000;ST=31;CN=2061;PW=1;MN=M{i};Flag=4;"
        return frame(head + f"CP=&&DataTime=20240301100000;{cp}&&").rstrip()

    lines = [seg(0, "a21026-Avg=1;;a21026-Flag=N")] + [seg(i, "a21026-Avg=2") for i in (1, 2)]
    run_parse_command([write_log(lines)], tmp_path / "out")
    values = pl.read_parquet(tmp_path / "out" / "values.parquet")
    assert values["line_no"].to_list() == [1, 2, 3]


def test_parse_command_counts_blank_lines_and_files_not_read_whole(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"\r\n  \r\n" + frame("ST=31;CN=9021;PW=1;MN=M1;CP=&&&&").encode())
    empty = tmp_path / "b.log.gz"
    empty.write_bytes(b"")
    counts = run_parse_command([log, empty], tmp_path / "out")
    assert (counts["blank_lines"], counts["file_problems"], counts["rejected_empty_file"]) == (
        2,
        1,
        1,
    )
    assert list(counts)[:3] == ["lines_read", "blank_lines", "file_problems"]
