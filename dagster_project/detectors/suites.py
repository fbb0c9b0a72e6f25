"""great-expectations suites for the hard, citable CEMS rules (expectations/cems_*.json), run with
the feeds worker's runner against the rows of each suite's `meta.query`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.paths import project_file

EXPECTATIONS_DIR = project_file("expectations")


def suite_paths() -> list[Path]:
    return sorted(EXPECTATIONS_DIR.glob("cems_*.json"))


def _tables_exist(con: duckdb.DuckDBPyConnection, query: str) -> bool:
    try:
        con.execute(f"select * from ({query}) limit 0")
        return True
    except duckdb.CatalogException:
        return False


def run_cems_suites(con: duckdb.DuckDBPyConnection, build_id: str) -> list[Any]:
    """One SuiteResult per suite whose input tables exist (no CEMS data, no suite to run), each
    over every row of its query; great-expectations validates only the new days while every day
    it validated before is unchanged (quality/day_memo.py)."""
    from dagster_project.quality import day_memo

    results = []
    for path in suite_paths():
        suite = json.loads(path.read_text(encoding="utf-8"))
        query = suite["meta"]["query"]
        if not _tables_exist(con, query):
            continue
        results.append(day_memo.validate(con, path, query, build_id))
    return results
