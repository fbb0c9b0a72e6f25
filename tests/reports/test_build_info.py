"""What the export's manifest says about the latest build's source files (reports/extract.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from dagster_project import warehouse
from dagster_project.reports.extract import SourceFolder, existing_columns, read_build_info


def _log(con: duckdb.DuckDBPyConnection, build: str, feed: str, name: str, sha: str) -> None:
    con.execute(
        "insert into audit.load_log values (?, ?, ?, ?, 0, 0, 0, ?, 'x')",
        [build, feed, name, sha, datetime(2024, 1, 2 if build == "b2" else 1)],
    )


def test_ledger_files_one_by_one_and_cems_logs_by_folder() -> None:
    con = duckdb.connect()
    warehouse.ensure_audit_tables(con)
    _log(con, "b1", "cems", "cems/landing/MN0/2023123123.log", "00")  # an older build
    _log(con, "b2", "boilers", "boilers/锅炉台账.csv", "bb")
    hourly = {f"cems/landing/MN1/20240101{h:02d}.log": f"{h:02x}" for h in range(24)}
    for name, sha in reversed(hourly.items()):
        _log(con, "b2", "cems", name, sha)
    _log(con, "b2", "cems", "cems/landing/MN2/2024010100.log", "aa")
    _log(con, "b2", "cems", "cems/landing/MN2/2024010100.log", "aa")  # logged twice: once

    info = read_build_info(con, existing_columns(con))

    assert info.build_id == "b2"
    assert info.source_files == (("boilers", "boilers/锅炉台账.csv", "bb"),)
    listed = "".join(f"{name}\t{sha}\n" for name, sha in sorted(hourly.items()))
    assert info.source_folders == (
        SourceFolder(
            "cems",
            "cems/landing/MN1",
            24,
            "cems/landing/MN1/2024010100.log",
            "cems/landing/MN1/2024010123.log",
            hashlib.sha256(listed.encode()).hexdigest(),
        ),
        SourceFolder(
            "cems",
            "cems/landing/MN2",
            1,
            "cems/landing/MN2/2024010100.log",
            "cems/landing/MN2/2024010100.log",
            hashlib.sha256(b"cems/landing/MN2/2024010100.log\taa\n").hexdigest(),
        ),
    )
