"""Read one delivered ledger file (CSV/TXT or XLSX) into contract-named text records.

`read_ledger_file` returns every record of the file either in `LedgerRead.records` (still text,
typed later by `values.type_columns`) or in `LedgerRead.rejected` (rows that could not be split
into the header's fields). When no part of a file can be mapped (undecodable bytes, no header,
a required column missing) it raises FeedFileError, which names the file and carries every
record of the file as a rejected row, so the caller can audit them and carry on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import polars as pl

from dagster_project.feeds.contracts import FeedSpec
from dagster_project.feeds.encodings import UndecodableError, decode_ledger_bytes
from dagster_project.feeds.tables import (
    GridError,
    GridRow,
    RejectedRow,
    map_grid,
    record_columns,
)

TEXT_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx",)
DELIMITERS = (",", "\t", ";", "|")


@dataclass
class LedgerRead:
    source_file: str  # relative to the sources root, POSIX separators
    records: pl.DataFrame  # tables.record_columns(spec)
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class FeedFileError(Exception):
    """A ledger file that cannot be loaded at all; `rejected` holds all of its records."""

    def __init__(
        self,
        file: str,
        reason: str,
        message: str,
        rejected: list[RejectedRow],
        notes: list[str] | None = None,
    ) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.reason = reason
        self.message = message
        self.rejected = rejected
        self.notes = notes or []


def read_ledger_file(path: Path, spec: FeedSpec, source_file: str) -> LedgerRead:
    """Read `path` (named `source_file` in audit rows) against `spec`."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, spec, source_file)
    if suffix in TEXT_SUFFIXES:
        return _read_text(path.read_bytes(), spec, source_file)
    raise ValueError(f"{source_file}: not a ledger file type ({suffix})")


# --- CSV / TXT -------------------------------------------------------------------------------


def _read_text(data: bytes, spec: FeedSpec, source_file: str) -> LedgerRead:
    try:
        text, encoding = decode_ledger_bytes(data)
    except UndecodableError as exc:
        lines = data.splitlines()
        rejected = [
            RejectedRow(i, None, "undecodable", line.decode("gb18030", errors="replace"))
            for i, line in enumerate(lines, 1)
            if line.strip()
        ]
        raise FeedFileError(source_file, "undecodable", str(exc), rejected) from exc
    notes = [f"encoding={encoding}"]
    lines = list(io.StringIO(text, newline=""))
    delimiter = _sniff_delimiter(lines)
    if delimiter != ",":
        notes.append(f"delimiter={delimiter!r}")
    rows, malformed = _split_records(lines, delimiter)
    try:
        grid = map_grid(rows, spec, strict_width=True)
    except GridError as exc:
        raise FeedFileError(
            source_file, exc.reason, exc.message, malformed + exc.rejected, notes
        ) from exc
    return LedgerRead(source_file, grid.records, malformed + grid.rejected, notes + grid.notes)


def _sniff_delimiter(lines: list[str]) -> str:
    first = next((line for line in lines if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier, i.e. ','
    return best if counts[best] else ","


def _split_records(lines: list[str], delimiter: str) -> tuple[list[GridRow], list[RejectedRow]]:
    """CSV records with the physical line each starts on and its original text; a record the
    csv module refuses (e.g. a NUL byte) is rejected as malformed_row."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    rows: list[GridRow] = []
    malformed: list[RejectedRow] = []
    while True:
        start = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raw = "".join(lines[start : reader.line_num]).rstrip("\r\n")
            malformed.append(RejectedRow(start + 1, None, "malformed_row", raw))
            continue
        raw = "".join(lines[start : reader.line_num]).rstrip("\r\n")
        rows.append(GridRow(start + 1, cells, raw))
    return rows, malformed


# --- XLSX ------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An xlsx cell as the text a person sees: integers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _sheet_rows(ws: object) -> list[GridRow]:
    ws.reset_dimensions()  # type: ignore[attr-defined]  # trust the cells, not the stored size
    rows: list[GridRow] = []
    for counter, row in enumerate(ws.iter_rows(), 1):  # type: ignore[attr-defined]
        row_no = next((c.row for c in row if getattr(c, "row", None)), counter)
        cells = [cell_text(c.value) for c in row]
        while cells and not cells[-1].strip():
            cells.pop()
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(cells)
        rows.append(GridRow(row_no, cells, buf.getvalue()))
    return rows


def _read_xlsx(path: Path, spec: FeedSpec, source_file: str) -> LedgerRead:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip/xml errors: a corrupt or mislabelled workbook
        raise FeedFileError(
            source_file, "unreadable_workbook", f"cannot open workbook: {exc}", []
        ) from exc
    try:
        sheets = [(ws.title, _sheet_rows(ws)) for ws in wb.worksheets]
    finally:
        wb.close()

    frames: list[pl.DataFrame] = []
    rejected: list[RejectedRow] = []
    notes: list[str] = []
    unmapped: list[RejectedRow] = []
    failures: list[GridError] = []
    for order, (title, rows) in enumerate(sheets):
        try:
            grid = map_grid(rows, spec, sheet=title, sheet_order=order, strict_width=False)
        except GridError as exc:
            if exc.reason == "no_contract_header":
                unmapped += exc.rejected
                if exc.rejected:
                    notes.append(f"sheet {title}: no contract header, skipped")
                continue
            failures.append(exc)
            rejected += exc.rejected
            notes.append(f"sheet {title}: {exc.message}")
            continue
        frames.append(grid.records)
        rejected += grid.rejected
        notes += [f"sheet {title}: {n}" for n in grid.notes]
        notes.append(f"sheet {title}: {grid.records.height} rows")
    if not frames:
        if failures:
            raise FeedFileError(
                source_file, failures[0].reason, failures[0].message, rejected, notes
            )
        raise FeedFileError(
            source_file,
            "no_contract_header",
            f"no sheet has a header naming {spec.feed} columns",
            unmapped,
            notes,
        )
    records = pl.concat(frames) if frames else pl.DataFrame(schema=record_columns(spec))
    return LedgerRead(source_file, records, rejected, notes)
