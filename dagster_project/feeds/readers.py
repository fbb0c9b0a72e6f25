"""Read one delivered ledger file (CSV/TXT or XLSX) into contract-named text records.

`read_ledger_file` returns every record of the file either in `LedgerRead.records` (still text,
typed later by `values.type_columns`) or in `LedgerRead.rejected` (rows that could not be split
into the header's fields, a CSV's last row cut mid-row (`truncated_row`), xlsx rows holding a
formula saved without its value (`formula_without_value:<column>`)). When no part of a file can
be mapped (undecodable bytes, no header, a required column missing) it raises FeedFileError,
which names the file and carries every record of the file as a rejected row, so the caller can
audit them and carry on.

A file that cannot be read whole is a rejected row of its own, at line 0 (the file as a whole)
or the row where reading stopped, with the detail: `empty_file` (no bytes, only whitespace, a
workbook without any filled cell), `unreadable_file` (cannot be opened: not a workbook, a cut
or damaged zip, a sheet whose XML breaks off; the rows before the break are kept).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl

from dagster_project.feeds.contracts import FeedSpec
from dagster_project.feeds.encodings import UndecodableError, decode_ledger_bytes
from dagster_project.feeds.tables import (
    GridError,
    GridRow,
    RejectedRow,
    is_blank,
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
        try:
            data = path.read_bytes()
        except OSError as exc:
            detail = f"cannot read the file: {exc}"
            raise file_problem(source_file, "unreadable_file", detail) from exc
        return _read_text(data, spec, source_file)
    raise ValueError(f"{source_file}: not a ledger file type ({suffix})")


def file_problem(source_file: str, reason: str, detail: str, line_no: int = 0) -> FeedFileError:
    """A file that cannot be read whole: one rejected row, at `line_no` (0: the whole file)."""
    row = RejectedRow(line_no, None, reason, "", detail)
    return FeedFileError(source_file, reason, detail, [row])


# --- CSV / TXT -------------------------------------------------------------------------------


def _read_text(data: bytes, spec: FeedSpec, source_file: str) -> LedgerRead:
    try:
        decoded = decode_ledger_bytes(data)
    except UndecodableError as exc:
        lines = data.splitlines()
        rejected = [
            RejectedRow(i, None, "undecodable", line.decode("gb18030", errors="replace"))
            for i, line in enumerate(lines, 1)
            if line.strip()
        ]
        raise FeedFileError(source_file, "undecodable", str(exc), rejected) from exc
    text = decoded.text
    if not text.strip():
        what = "file has 0 bytes" if not data else "file holds only whitespace"
        raise file_problem(source_file, "empty_file", what)
    notes = [f"encoding={decoded.encoding}"]
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
    read = LedgerRead(source_file, grid.records, malformed + grid.rejected, notes + grid.notes)
    last = next((r for r in reversed(rows) if not is_blank(r.cells)), None)
    records = set(grid.records.get_column("line_no")) | {r.line_no for r in read.rejected}
    if last is None or last.line_no not in records:  # no data row, or a cut header: no record
        return read
    why = _why_cut(last, decoded.cut, text, grid.width, delimiter)
    return _reject_truncated(read, last, why) if why else read


def _why_cut(last: GridRow, char_cut: bool, text: str, width: int, delimiter: str) -> str | None:
    """Why the last record was cut short, or None when it looks whole."""
    if char_cut:
        return "the file ends inside a character: it was cut"
    try:
        list(csv.reader(io.StringIO(last.raw_text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return "the file ends inside a quoted field: it was cut"
    if not text.endswith(("\n", "\r")) and len(last.cells) < width:
        return f"the file ends without a line break, {len(last.cells)} of {width} fields read"
    return None


def _reject_truncated(read: LedgerRead, last: GridRow, why: str) -> LedgerRead:
    """`read` with its last record rejected as truncated_row instead of loaded or malformed."""
    records = read.records.filter(pl.col("line_no") != last.line_no)
    rejected = [r for r in read.rejected if r.line_no != last.line_no]
    rejected.append(RejectedRow(last.line_no, None, "truncated_row", last.raw_text, why))
    return LedgerRead(read.source_file, records, rejected, read.notes)


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


def _sheet_rows(
    ws: object, formulas: dict[tuple[int, int], str]
) -> tuple[list[GridRow], RejectedRow | None]:
    """The sheet's rows, and the problem that stopped the reading part-way, if one did.
    `formulas`: (row, column) -> formula of the cells saved without a cached value."""
    ws.reset_dimensions()  # type: ignore[attr-defined]  # trust the cells, not the stored size
    rows: list[GridRow] = []
    it = ws.iter_rows()  # type: ignore[attr-defined]
    counter = 0
    while True:
        try:
            row = next(it)
        except StopIteration:
            return rows, None
        except Exception as exc:  # the sheet's XML breaks off (a damaged file): keep the rest
            at = rows[-1].line_no + 1 if rows else 1
            title = ws.title  # type: ignore[attr-defined]
            detail = f"sheet {title} cannot be read from row {at} on: {exc}"
            return rows, RejectedRow(at, title, "unreadable_file", "", detail)
        counter += 1
        row_no = next((c.row for c in row if getattr(c, "row", None)), counter)
        cells = [cell_text(c.value) for c in row]
        missing = tuple(i for i in range(len(cells)) if (row_no, i + 1) in formulas)
        while cells and not cells[-1].strip() and len(cells) - 1 not in missing:
            cells.pop()
        shown = list(cells)
        for i in missing:
            shown[i] = formulas[(row_no, i + 1)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(shown)
        rows.append(GridRow(row_no, cells, buf.getvalue(), missing))


def _formulas_without_value(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Per sheet title: (row, column) -> `=formula` of each formula cell saved without a cached
    value (a workbook written by a program, never opened in Excel). openpyxl reads such a cell
    as empty, so the sheet XML is read for them, only in workbooks holding formulas at all."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            for title, part in _sheet_parts(z).items():
                data = z.read(part)
                if b"<f" not in data and b":f>" not in data and b":f " not in data:
                    continue
                cells = _cells_without_value(data)
                if cells:
                    found[title] = cells
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return found  # the sheet reader reports what is unreadable
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> its XML part in the zip, from xl/workbook.xml and its relationships."""
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {
        r.get("Id"): r.get("Target", "") for r in rels.iter() if _local(r.tag) == "Relationship"
    }
    parts = {}
    for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        t = target.get(rid, "")
        parts[sheet.get("name", "")] = t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    return parts


def _cells_without_value(xml: bytes) -> dict[tuple[int, int], str]:
    out = {}
    for c in ElementTree.fromstring(xml).iter():
        if _local(c.tag) != "c":
            continue
        children = {_local(x.tag): x for x in c}
        v = children.get("v")
        # no value, or an empty one that is not an empty text result (t="str")
        if "f" in children and (v is None or (not v.text and c.get("t") != "str")):
            row, col = _cell_ref(c.get("r", ""))
            out[(row, col)] = "=" + (children["f"].text or "")
    return out


def _cell_ref(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters) :] or 0), col


def _read_xlsx(path: Path, spec: FeedSpec, source_file: str) -> LedgerRead:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip/xml errors: a corrupt, cut or mislabelled workbook
        detail = f"cannot open workbook: {type(exc).__name__}: {exc}"
        raise file_problem(source_file, "unreadable_file", detail) from exc
    formulas = _formulas_without_value(path)
    try:
        sheets = [(ws.title, *_sheet_rows(ws, formulas.get(ws.title, {}))) for ws in wb.worksheets]
    finally:
        wb.close()
    if not any(not is_blank(r.cells) or r.formulas for _, rows, _ in sheets for r in rows):
        broken = [p for _, _, p in sheets if p is not None]
        if broken:
            raise FeedFileError(source_file, "unreadable_file", broken[0].detail or "", broken)
        raise file_problem(source_file, "empty_file", "workbook without any filled cell")

    frames: list[pl.DataFrame] = []
    rejected: list[RejectedRow] = [p for _, _, p in sheets if p is not None]
    notes: list[str] = [p.detail or "" for p in rejected]
    unmapped: list[RejectedRow] = []
    failures: list[GridError] = []
    for order, (title, rows, _) in enumerate(sheets):
        try:
            grid = map_grid(rows, spec, sheet=title, sheet_order=order, strict_width=False)
        except GridError as exc:
            if exc.reason == "no_contract_header":
                unmapped += exc.rejected
                if exc.rejected:
                    notes.append(
                        f"sheet {title}: no contract header, {len(exc.rejected)} rows not read"
                    )
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
            rejected + unmapped,
            notes,
        )
    records = pl.concat(frames) if frames else pl.DataFrame(schema=record_columns(spec))
    return LedgerRead(source_file, records, rejected, notes)
