"""From a grid of text cells (a CSV file or one xlsx sheet) to contract-named records.

The header is the first row, among the first few non-empty ones, in which at least two cells
name contract columns: ledgers exported from office software often carry a title row
("孟州市锅炉台账") above the header. Header cells are matched after NFKC normalisation
(full-width brackets and letters), whitespace removal and lower-casing, and a trailing '*'
(marks a required field in many forms) is ignored. Unknown header cells become keys of
`extra_columns` (a repeated header as "<header>#<column number>", a value under an empty
header as "column_<n>"); a second header cell naming an already-mapped column is kept there
too.
Rows whose cells are all blank are not records (Excel pads sheets and CSV exports with them);
their count goes into the load notes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from dagster_project.feeds.contracts import FeedSpec

HEADER_SEARCH_ROWS = 10
_NO_VALUE = "formula saved without its computed value: open, recalculate and save in Excel"
MIN_MAPPED_HEADERS = 2


@dataclass(frozen=True)
class GridRow:
    line_no: int  # CSV: first physical line of the record (header = 1); xlsx: sheet row
    cells: list[str]
    raw_text: str
    # xlsx: positions of formula cells without a cached value (their cell text is empty; the
    # raw text shows the formula)
    formulas: tuple[int, ...] = ()


@dataclass(frozen=True)
class RejectedRow:
    line_no: int | None  # 0: the file as a whole
    sheet: str | None
    reason: str
    raw_text: str
    detail: str | None = None


@dataclass
class MappedGrid:
    """Records of one grid, all contract columns as text (null where the file lacks them)."""

    records: pl.DataFrame
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    width: int = 0  # fields the header names (a shorter CSV row is malformed or cut)


class GridError(Exception):
    """The grid cannot be mapped; every record in it is rejected with `reason`."""

    def __init__(self, reason: str, message: str, rejected: list[RejectedRow]) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.rejected = rejected


def normalize_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"\s+", "", s).strip("*")
    return s.lower()


def header_lookup(spec: FeedSpec) -> dict[str, str]:
    """Normalised header -> canonical column, from the contract's names and aliases."""
    return {normalize_header(k): v for k, v in spec.header_map().items()}


def is_blank(cells: Sequence[str]) -> bool:
    return all(not c.strip() for c in cells)


def record_columns(spec: FeedSpec) -> dict[str, pl.DataType]:
    """Schema of MappedGrid.records."""
    schema: dict[str, pl.DataType] = {c.name: pl.String() for c in spec.columns}
    schema |= {
        "line_no": pl.Int64(),
        "sheet": pl.String(),
        "sheet_order": pl.Int32(),
        "extra_columns": pl.String(),
        "raw_text": pl.String(),
    }
    return schema


def map_grid(
    rows: list[GridRow],
    spec: FeedSpec,
    *,
    sheet: str | None = None,
    sheet_order: int = 0,
    strict_width: bool = True,
) -> MappedGrid:
    """Map a grid's rows to the contract. `strict_width` (CSV): a row with more non-blank
    fields than the header, or fewer fields, is `malformed_row`."""
    lookup = header_lookup(spec)
    content = [r for r in rows if not is_blank(r.cells) or r.formulas]
    blank = len(rows) - len(content)
    notes = [f"{blank} blank rows skipped"] if blank else []

    header_pos = _find_header(content, lookup)
    if header_pos is None:  # which row was meant as the header is unknown: all are rejected
        rejected = [
            RejectedRow(r.line_no, sheet, "no_contract_header", r.raw_text) for r in content
        ]
        raise GridError(
            "no_contract_header",
            f"no header row naming at least {MIN_MAPPED_HEADERS} {spec.feed} columns "
            f"in the first {HEADER_SEARCH_ROWS} rows",
            rejected,
        )
    if header_pos:
        notes.append(f"{header_pos} title rows above the header skipped")
    header = content[header_pos]
    data = content[header_pos + 1 :]

    canonical_at: dict[int, str] = {}
    extra_at: dict[int, str] = {}
    for i, cell in enumerate(header.cells):
        name = lookup.get(normalize_header(cell))
        if name is not None and name not in canonical_at.values():
            canonical_at[i] = name
        elif cell.strip():
            key = cell.strip()
            extra_at[i] = key if key not in extra_at.values() else f"{key}#{i + 1}"
            if name is not None:
                notes.append(f"second header for {name} ({cell.strip()!r}) kept in extra_columns")

    missing = [c for c in spec.required_columns if c not in canonical_at.values()]
    if missing:
        reason = "missing_required_column:" + ",".join(missing)
        raise GridError(
            reason,
            f"missing required column {', '.join(missing)}",
            [RejectedRow(r.line_no, sheet, reason, r.raw_text) for r in data],
        )

    # trailing empty header cells (a stray delimiter at the end of the header) do not count
    width = max((i + 1 for i, c in enumerate(header.cells) if c.strip()), default=0)
    columns: dict[str, list[object]] = {name: [] for name in record_columns(spec)}
    rejected: list[RejectedRow] = []
    for row in data:
        cells = row.cells
        if strict_width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            rejected.append(RejectedRow(row.line_no, sheet, "malformed_row", row.raw_text))
            continue
        if row.formulas:  # a value only Excel could compute: nobody may guess it
            names = [
                canonical_at.get(i) or extra_at.get(i) or f"column_{i + 1}" for i in row.formulas
            ]
            reason = "formula_without_value:" + ",".join(names)
            rejected.append(RejectedRow(row.line_no, sheet, reason, row.raw_text, _NO_VALUE))
            continue
        for c in spec.columns:
            columns[c.name].append(None)
        for i, name in canonical_at.items():
            columns[name][-1] = cells[i] if i < len(cells) else None
        extras: dict[str, str | None] = {}
        for i, key in extra_at.items():
            extras[key] = (cells[i].strip() or None) if i < len(cells) else None
        for i, cell in enumerate(cells):  # values under no header (xlsx: also beyond it)
            if i not in canonical_at and i not in extra_at and cell.strip():
                extras[f"column_{i + 1}"] = cell.strip()
        columns["line_no"].append(row.line_no)
        columns["sheet"].append(sheet)
        columns["sheet_order"].append(sheet_order)
        columns["extra_columns"].append(json.dumps(extras, ensure_ascii=False) if extras else None)
        columns["raw_text"].append(row.raw_text)
    records = pl.DataFrame(columns, schema=record_columns(spec))
    return MappedGrid(records=records, rejected=rejected, notes=notes, width=width)


def _find_header(content: list[GridRow], lookup: dict[str, str]) -> int | None:
    needed = min(MIN_MAPPED_HEADERS, len(set(lookup.values())))
    for pos, row in enumerate(content[:HEADER_SEARCH_ROWS]):
        mapped = {lookup[h] for h in map(normalize_header, row.cells) if h in lookup}
        if len(mapped) >= needed:
            return pos
    return None
