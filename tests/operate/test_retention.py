"""Bounded audit rows: 'unchanged, skipped' load_log rows of the kept builds only."""

from __future__ import annotations

from datetime import datetime

import duckdb

from dagster_project import warehouse
from dagster_project.operate.retention import prune_unchanged_loads


def _log(con: duckdb.DuckDBPyConnection, build: int, name: str, note: str) -> None:
    con.execute(
        "insert into audit.load_log values (?, 'cems', ?, 'sha', ?, ?, 0, ?, ?)",
        [
            f"b{build}",
            name,
            5 if note == "parsed" else 0,
            5 if note == "parsed" else 0,
            datetime(2024, 1, build),
            note,
        ],
    )


def test_only_the_kept_builds_keep_their_unchanged_rows() -> None:
    con = duckdb.connect()
    warehouse.ensure_audit_tables(con)
    _log(con, 1, "cems/a.log", "parsed")
    for build in (2, 3, 4):
        _log(con, build, "cems/a.log", "unchanged, skipped")
        _log(con, build, f"cems/new-{build}.log", "parsed")

    assert prune_unchanged_loads(con, keep=2) == 1  # build 2's unchanged row

    rows = con.execute(
        "select build_id, source_file, note from audit.load_log order by build_id, source_file"
    ).fetchall()
    assert rows == [
        ("b1", "cems/a.log", "parsed"),  # the read that holds a.log's counts, kept for good
        ("b2", "cems/new-2.log", "parsed"),
        ("b3", "cems/a.log", "unchanged, skipped"),
        ("b3", "cems/new-3.log", "parsed"),
        ("b4", "cems/a.log", "unchanged, skipped"),
        ("b4", "cems/new-4.log", "parsed"),
    ]
    assert prune_unchanged_loads(con, keep=2) == 0  # idempotent
