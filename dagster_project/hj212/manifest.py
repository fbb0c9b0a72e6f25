"""The CEMS lake's manifest, `audit.cems_lake_files`: one row per Parquet file of the lake and
source log in it (see lake.py), with the rows of raw.cems_values they make, so that the build's
shrink guard and summary count the lake's values without reading it. DuckDB only: the guard
imports this from the command line's parser, which stays light."""

from __future__ import annotations

import duckdb

from dagster_project import warehouse

MANIFEST_DDL = """
create table if not exists audit.cems_lake_files (
    source_file varchar, file_sha256 varchar, build_id varchar, path varchar,
    month varchar, rows bigint, min_data_time timestamp, max_data_time timestamp,
    mns varchar[], value_rows bigint
)"""
MANIFEST_COLUMNS = (
    "source_file, file_sha256, build_id, path, month, rows, min_data_time, max_data_time, mns, "
    "value_rows"
)


def ensure_manifest(con: duckdb.DuckDBPyConnection) -> None:
    """The manifest, with its value count per file (a manifest from before that column gets it
    empty: `lake.count_unrecorded_values` fills it)."""
    warehouse.ensure_audit_tables(con)
    con.execute(MANIFEST_DDL)
    con.execute("alter table audit.cems_lake_files add column if not exists value_rows bigint")


def value_count(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of raw.cems_values, from the manifest when it counts every file (no scan of the
    lake); counted over the view otherwise (a warehouse from before the manifest's count, opened
    read-only)."""
    has_count = con.execute(
        """select count(*) from information_schema.columns where table_schema = 'audit'
           and table_name = 'cems_lake_files' and column_name = 'value_rows'"""
    ).fetchone()[0]
    if has_count:
        total, unknown = con.execute(
            "select coalesce(sum(value_rows), 0), count(*) - count(value_rows) "
            "from audit.cems_lake_files"
        ).fetchone()
        if not unknown:
            return int(total)
    return int(con.execute("select count(*) from raw.cems_values").fetchone()[0])
