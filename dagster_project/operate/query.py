"""`lantian query`: analysts' SQL, read-only for the warehouse and closed to the machine.

The warehouse is opened read-only with external access off and the configuration locked: no
ATTACH of another database, no COPY/EXPORT to files, no reading files (read_csv, globs), no
INSTALL/LOAD of extensions, no SET to undo any of it. Every statement's result is printed; `--out`
writes every row of the (single) result to CSV or Parquet, chosen by the file's suffix. The
file is written by this process, not by DuckDB, and CSV text cells that a spreadsheet would run
as formulas are neutralised.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.reports.safe_text import csv_cell

# Set in this order on the open connection; the last one locks every setting.
SANDBOX = (
    "set enable_progress_bar = false",
    "set autoinstall_known_extensions = false",
    "set autoload_known_extensions = false",
    "set enable_external_access = false",
    "set lock_configuration = true",
)
OUT_SUFFIXES = (".csv", ".parquet")


class QueryUsageError(ValueError):
    """The command line asks for something the query cannot give (exit 2)."""


def open_sandboxed(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    for statement in SANDBOX:
        con.execute(statement)
    return con


def statements(sql: str) -> list[str]:
    found = [s.query.strip() for s in duckdb.extract_statements(sql)]
    return [s for s in found if s]


@dataclass
class QueryResult:
    sql: str
    table: pa.Table | None  # None for a statement without a result (e.g. SET, PRAGMA)


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[QueryResult]:
    results = []
    for text in statements(sql):
        relation = con.sql(text)
        results.append(QueryResult(text, relation.to_arrow_table() if relation else None))
    return results


def check_out(path: Path | None, sql: str) -> None:
    if path is None:
        return
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise QueryUsageError(f"--out {path}: choose a .csv or .parquet file")
    if len(statements(sql)) != 1:
        raise QueryUsageError("--out writes one result: give exactly one statement")


def write_out(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if path.suffix.lower() == ".parquet":
            pq.write_table(table, tmp, compression="zstd")
        else:
            _write_csv(table, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_csv(table: pa.Table, path: Path) -> None:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(table.column_names)
        for row in zip(*columns, strict=True):
            writer.writerow([_cell(v) for v in row])


def _cell(value: object) -> object:
    if value is None:
        return ""
    return csv_cell(value) if isinstance(value, str) else value


def show(results: list[QueryResult], max_rows: int, out: TextIO | None = None) -> None:
    """Print every result; the row limit applies to the screen only."""
    out = out or sys.stdout
    with_rows = [r for r in results if r.table is not None]
    screen = duckdb.connect()
    screen.execute("set enable_progress_bar = false")
    for number, result in enumerate(with_rows, start=1):
        assert result.table is not None
        if len(with_rows) > 1:
            out.write(f"-- result {number}: {result.sql.splitlines()[0][:100]}\n")
            out.flush()
        screen.register("shown", result.table)
        screen.sql("select * from shown").show(max_rows=max_rows, max_width=200)
        screen.unregister("shown")
        if result.table.num_rows > max_rows:
            out.write(
                f"({result.table.num_rows:,} rows, {max_rows} shown: --max-rows N shows more, "
                "--out FILE.csv|.parquet writes all)\n"
            )
        out.flush()
