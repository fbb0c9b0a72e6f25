"""File writers for the export: xlsx (Chinese headers), CSV (UTF-8 with BOM) and Parquet.

Each writer is deterministic: the same rows give the same bytes. xlsx packs its parts with
in-memory zip entries dated 1980-01-01 and takes its document dates from the caller (the
warehouse's build time, never now); CSV formats floats with repr (shortest round-trip form,
so no tonnes are lost) and neutralises text cells a spreadsheet would run as formulas
(safe_text.py); Parquet keeps the raw text and carries no write time. Files are written beside
their target and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from dagster_project.reports.catalogue import Kind, Sheet
from dagster_project.reports.safe_text import csv_cell

XLSX_MAX_ROWS = 1_048_576  # Excel's row limit, header row included


@contextmanager
def _replace_when_done(path: Path) -> Iterator[Path]:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_cell(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, sheet: Sheet, table: pa.Table) -> None:
    """UTF-8 with BOM and CRLF line ends (what Excel expects), Chinese header row."""
    columns = [table.column(c.name).to_pylist() for c in sheet.columns]
    with _replace_when_done(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([c.header for c in sheet.columns])
        for row in zip(*columns, strict=True):
            writer.writerow([_csv_text(v) for v in row])


def write_parquet(path: Path, sheet: Sheet, table: pa.Table, year: int) -> None:
    """English column names; the Chinese header rides along as field metadata."""
    fields = [
        pa.field(c.name, table.schema.field(c.name).type, metadata={"header_zh": c.header})
        for c in sheet.columns
    ]
    schema = pa.schema(
        fields,
        metadata={"lantian.sheet": sheet.key, "lantian.title": sheet.title, "year": str(year)},
    )
    data = pa.Table.from_arrays([table.column(c.name) for c in sheet.columns], schema=schema)
    with _replace_when_done(path) as tmp:
        pq.write_table(data, tmp, compression="zstd", write_statistics=True)


def _column_width(header: str, kind: Kind) -> float:
    base = {Kind.TEXT: 18, Kind.DATE: 12, Kind.TIMESTAMP: 18, Kind.FLOAT: 14}.get(kind, 10)
    # CJK characters take two columns of width.
    header_width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header) + 2
    return float(min(max(base, header_width), 60))


def write_xlsx(
    path: Path,
    sheets: Sequence[tuple[Sheet, pa.Table]],
    created: datetime,
    title: str,
) -> None:
    """One worksheet per sheet; numbers stay numbers (full double precision), text stays text."""
    with _replace_when_done(path) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                "in_memory": True,  # zip entries dated 1980-01-01 rather than by temp files
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": True,
            },
        )
        workbook.set_properties(
            {"title": title, "author": "lantian", "company": "lantian", "created": created}
        )
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        formats = {
            Kind.DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
            Kind.TIMESTAMP: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            Kind.INT: workbook.add_format({"num_format": "0"}),
        }
        tonnes = workbook.add_format({"num_format": "0.000000"})  # shown to the gram
        for sheet, table in sheets:
            worksheet = workbook.add_worksheet(sheet.title)
            for col, column in enumerate(sheet.columns):
                worksheet.set_column(col, col, _column_width(column.header, column.kind))
                worksheet.write_string(0, col, column.header, header)
                fmt = tonnes if column.name.endswith("_t") else formats.get(column.kind)
                _write_column(worksheet, col, column.kind, table.column(column.name), fmt)
            worksheet.freeze_panes(1, 0)
            if sheet.columns:
                worksheet.autofilter(0, 0, max(table.num_rows, 1), len(sheet.columns) - 1)
        workbook.close()


def _write_column(
    worksheet: Worksheet, col: int, kind: Kind, values: pa.ChunkedArray, fmt: Any
) -> None:
    write: Callable[..., Any] = {
        Kind.TEXT: worksheet.write_string,
        Kind.INT: worksheet.write_number,
        Kind.FLOAT: worksheet.write_number,
        Kind.DATE: worksheet.write_datetime,
        Kind.TIMESTAMP: worksheet.write_datetime,
        Kind.BOOL: worksheet.write_boolean,
    }[kind]
    for row, value in enumerate(values.to_pylist(), start=1):
        if value is None:
            continue
        if kind is Kind.DATE:
            value = datetime(value.year, value.month, value.day)
        write(row, col, value, fmt)
