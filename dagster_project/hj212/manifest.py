"""The CEMS lake's manifest, `audit.cems_lake_files`: one row per Parquet file of the lake (see
lake.py), with the rows of raw.cems_values it makes, so that the build's shrink guard and
summary count the lake's values without reading it. DuckDB only: the guard imports this from
the command line's parser, which stays light."""

from __future__ import annotations

from pathlib import Path

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
# the value rows of readings (raw.cems_values unpivots each reading on the fields it sent, and
# keeps its extra row): what `value_rows` records per file, in DuckDB over Parquet
VALUE_ROWS_SQL = "sum(bit_count(fields)) + count(field)"


def ensure_manifest(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """The manifest, with its value count per file: a manifest from before that column gets it,
    counted once from the files it lists."""
    warehouse.ensure_audit_tables(con)
    con.execute(MANIFEST_DDL)
    con.execute("alter table audit.cems_lake_files add column if not exists value_rows bigint")
    missing = [
        p
        for (p,) in con.execute(
            "select path from audit.cems_lake_files where value_rows is null"
        ).fetchall()
    ]
    if missing:
        counts = con.execute(
            f"""select filename, {VALUE_ROWS_SQL}
                from read_parquet(?, hive_partitioning = false, filename = true)
                group by filename""",
            [[str(lake / p) for p in missing]],
        ).fetchall()
        by_path = {Path(f).resolve(): int(n) for f, n in counts}
        con.executemany(
            "update audit.cems_lake_files set value_rows = ? where path = ?",
            [(by_path.get((lake / p).resolve(), 0), p) for p in missing],
        )


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
