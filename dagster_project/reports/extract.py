"""Read the export's rows from the warehouse, checking the catalogue's contract on the way.

Everything here runs on a read-only connection with one thread: DuckDB's parallel aggregation
may add doubles in a different order from run to run, and the export must be byte-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project import warehouse
from dagster_project.reports.catalogue import (
    LATEST_BUILD_SQL,
    LOAD_LOG,
    SET_COLUMNS,
    SOURCES,
    TOTALS_MART_SQL,
    YEARS_SQL,
    Kind,
    OutputColumn,
    Sheet,
    decimals,
)


class ExportContractError(RuntimeError):
    """A mart lacks a column the export catalogue requires."""


# Feeds whose files are listed by folder, not one by one: a receiving station lands a CEMS log
# per MN and hour (~8,760 a year per outlet), which no manifest reader wants one line each of.
BY_FOLDER_FEEDS = ("cems",)


@dataclass(frozen=True)
class SourceFolder:
    """The files of one feed in one folder: how many, the first and last by name, and the
    SHA-256 of their list (each file's "<source_file>\t<sha256>\n", in name order), which anyone
    holding the files can compute again."""

    feed: str
    folder: str
    files: int
    first: str
    last: str
    list_sha256: str


@dataclass(frozen=True)
class BuildInfo:
    build_id: str | None
    build_time: datetime | None  # max(audit.load_log.loaded_at) of the latest build
    source_files: tuple[tuple[str, str, str | None], ...]  # (feed, source_file, file_sha256)
    source_folders: tuple[SourceFolder, ...] = ()  # the feeds in BY_FOLDER_FEEDS


def open_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise FileNotFoundError(f"warehouse not found: {path}")
    con = warehouse.connect(path, read_only=True)
    con.execute("set threads = 1")
    return con


def existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """schema.table -> its column names, for tables and views alike."""
    found: dict[str, set[str]] = {}
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
    ).fetchall():
        found.setdefault(f"{schema}.{table}", set()).add(column)
    return found


def missing_tables(sheet: Sheet, existing: dict[str, set[str]]) -> list[str]:
    return [t for t in sheet.sources if t not in existing]


def check_columns(sheet: Sheet, existing: dict[str, set[str]]) -> None:
    """Raise when a source table of `sheet` exists but lacks a column the catalogue requires."""
    for table in sheet.sources:
        missing = sorted(set(SOURCES[table].columns) - existing.get(table, set()))
        if missing:
            raise ExportContractError(
                f"{table} lacks column(s) {', '.join(missing)} required by export sheet "
                f"{sheet.title} ({sheet.key}); see dagster_project/reports/catalogue.py"
            )


def fetch_sheet(con: duckdb.DuckDBPyConnection, sheet: Sheet, year: int) -> pa.Table:
    """The sheet's rows for `year`, cast to the catalogue's types, in a total order."""
    names = [c.name for c in sheet.columns]
    casts = ", ".join(f'{_exported(c)} as "{c.name}"' for c in sheet.columns)
    # The catalogue's keys first, then every other column, so ties can never reorder rows.
    order = list(sheet.order_by) + [n for n in names if n not in sheet.order_by]
    order_sql = ", ".join(f'"{n}"' for n in order)
    sql = f"select {casts} from ({sheet.query}) as q order by {order_sql}"
    params = {"year": year} if "$year" in sheet.query else None
    return con.sql(sql, params=params).to_arrow_table()


def _exported(column: OutputColumn) -> str:
    """The column cast to its export type; doubles rounded once at the contract's precision
    (`+ 0.0` turns a rounded -0.0 into 0.0, so no file ever says -0.0), set-valued text with
    its items sorted."""
    cast = f'cast(q."{column.name}" as {column.kind.value})'
    if column.kind is Kind.FLOAT:
        return f"(round({cast}, {decimals(column.name)}) + 0.0::double)"
    separator = SET_COLUMNS.get(column.name)
    if separator is not None and column.kind is Kind.TEXT:
        return f"array_to_string(list_sort(string_split({cast}, '{separator}')), '{separator}')"
    return cast


def years_with_data(con: duckdb.DuckDBPyConnection, existing: dict[str, set[str]]) -> list[int]:
    """The years the inventory holds (marts.emissions, marts.inventory_key_industry)."""
    years: set[int] = set()
    for table, sql in YEARS_SQL.items():
        if table in existing:
            years |= {int(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None}
    return sorted(years)


def read_build_info(con: duckdb.DuckDBPyConnection, existing: dict[str, set[str]]) -> BuildInfo:
    if LOAD_LOG not in existing:
        return BuildInfo(None, None, ())
    row = con.execute(
        f"select build_id, max(loaded_at) from {LOAD_LOG} "
        f"where build_id = ({LATEST_BUILD_SQL}) group by build_id"
    ).fetchone()
    if row is None:
        return BuildInfo(None, None, ())
    files = con.execute(
        f"select distinct feed, source_file, file_sha256 from {LOAD_LOG} "
        "where build_id = ? and feed not in (select unnest(?)) "
        "order by feed, source_file, file_sha256",
        [row[0], list(BY_FOLDER_FEEDS)],
    ).fetchall()
    folders = con.execute(
        f"""select feed, folder, count(*), min(source_file), max(source_file),
                   sha256(string_agg(source_file || chr(9) || coalesce(file_sha256, '')
                                     || chr(10), '' order by source_file, file_sha256))
            from (select distinct feed, source_file, file_sha256,
                         parse_dirpath(source_file, 'forward_slash') as folder
                  from {LOAD_LOG} where build_id = ? and feed in (select unnest(?)))
            group by feed, folder order by feed, folder""",
        [row[0], list(BY_FOLDER_FEEDS)],
    ).fetchall()
    return BuildInfo(
        row[0],
        row[1],
        tuple((f[0], f[1], f[2]) for f in files),
        tuple(SourceFolder(*f) for f in folders),
    )


def mart_totals(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, tuple[float, int]]:
    """pollutant -> (sum of emissions_t, rows) in marts.emissions for the year."""
    rows = con.execute(TOTALS_MART_SQL.replace("$year", "?"), [year]).fetchall()
    return {r[0]: (float(r[1]), int(r[2])) for r in rows}


def table_totals(table: pa.Table) -> dict[str, tuple[float, int]]:
    """pollutant -> (exact float sum of emissions_t, mart rows covered) of an exported table.

    A summary table says how many mart rows each of its rows stands for (`emission_rows`).
    """
    pollutants = table.column("pollutant").to_pylist()
    tonnes = table.column("emissions_t").to_pylist()
    weights = (
        table.column("emission_rows").to_pylist()
        if "emission_rows" in table.column_names
        else [1] * table.num_rows
    )
    values: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    for pollutant, t, n in zip(pollutants, tonnes, weights, strict=True):
        values.setdefault(pollutant, []).append(t or 0.0)
        rows[pollutant] = rows.get(pollutant, 0) + int(n or 0)
    return {p: (math.fsum(v), rows[p]) for p, v in values.items()}
