"""Write the warehouse's raw and audit tables as a Hive-partitioned Parquet lake.

Layout: `<lake>/<schema>/<table>/county=<code>/[month=YYYY-MM/]*.parquet`. Every table is
partitioned by county; a table with an event time (MONTH_COLUMNS) also by the month of that time
(`month=none` for records without one). A county's folder of a table is replaced as a whole:
written beside it under a dot-name (which Spark and DuckDB skip) and renamed into place, so a
re-run is idempotent and a killed write leaves the previous files readable.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

LAKE_SCHEMAS = ("raw", "audit")
PARTITION_COLUMNS = ("county", "month")

# The event time that dates a record, per table; tables not listed are partitioned by county only.
MONTH_COLUMNS: dict[str, str] = {
    "activity": "period",
    "ambient_daily": "date",
    "ambient_hourly": "time_point",
    "cems_device_events": "data_time",
    "cems_values": "data_time",
    "dustfall": "period",
    "manual_tests": "test_date",
    "road_dust": "period",
    "transport_gate": "gate_time",
}


@dataclass(frozen=True)
class LakeTable:
    schema: str
    table: str
    rows: int
    months: int


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in LAKE_SCHEMAS)
    rows = con.execute(
        f"""select table_schema, table_name from information_schema.tables
            where table_schema in ({placeholders}) order by 1, 2""",
        list(LAKE_SCHEMAS),
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        """select column_name from information_schema.columns
           where table_schema = ? and table_name = ? order by ordinal_position""",
        [schema, table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _write_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path
) -> LakeTable:
    columns = _columns(con, schema, table)
    month_column = MONTH_COLUMNS.get(table) if schema == "raw" else None
    # Only the partitions this table is written under can clash with its columns.
    partitions = set(PARTITION_COLUMNS) if month_column is not None else {"county"}
    clash = set(columns) & partitions
    if clash:
        raise ValueError(f"{schema}.{table} has a column named like a partition: {sorted(clash)}")
    rows = int(con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0])
    folder.mkdir(parents=True)
    if month_column is None:
        con.execute(
            f'copy (select * from "{schema}"."{table}") to {_quote(folder / "data.parquet")} '
            "(format parquet)"
        )
        return LakeTable(schema, table, rows, 0)
    if rows == 0:
        # An empty table still needs one (empty) file in the month layout for its schema.
        (folder / "month=none").mkdir()
        con.execute(
            f'copy (select * from "{schema}"."{table}") '
            f"to {_quote(folder / 'month=none' / 'data.parquet')} (format parquet)"
        )
        return LakeTable(schema, table, 0, 0)
    con.execute(
        f"""copy (select *, coalesce(strftime("{month_column}", '%Y-%m'), 'none') as month
                  from "{schema}"."{table}")
            to {_quote(folder)} (format parquet, partition_by (month), overwrite_or_ignore)"""
    )
    months = sum(1 for p in folder.iterdir() if p.name.startswith("month="))
    return LakeTable(schema, table, rows, months)


def write_lake(con: duckdb.DuckDBPyConnection, lake: Path, county: str) -> list[LakeTable]:
    """Write every raw and audit table of `con` as county `county`'s partition of the lake."""
    if not county or "/" in county or county.startswith("."):
        raise ValueError(f"not a county code: {county!r}")
    written = []
    for schema, table in _tables(con):
        base = lake / schema / table
        final = base / f"county={county}"
        staging = base / f".county={county}.{uuid.uuid4().hex}"
        try:
            written.append(_write_table(con, schema, table, staging))
            old = base / f".county={county}.old-{uuid.uuid4().hex}"
            if final.exists():
                final.rename(old)
            staging.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return written
