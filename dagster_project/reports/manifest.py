"""The export manifest: what was written, from which build, and whether the totals hold.

Nothing in it depends on when or by which build the data was exported (no time, no build id, no
folder): the same data gives the same manifest byte for byte. What the data came from is the
list of source files with their sha256; which build made the warehouse is in its run history.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRAMS_PER_TONNE = 1_000_000


@dataclass(frozen=True)
class FileEntry:
    name: str
    format: str
    sheet: str | None  # sheet key; None for the workbook, which holds every sheet
    rows: int
    sha256: str
    bytes: int


@dataclass(frozen=True)
class SheetEntry:
    key: str
    title: str
    status: str  # exported | skipped
    rows: int | None
    sources: list[str]
    year_scope: str


@dataclass(frozen=True)
class PollutantTotal:
    pollutant: str
    export_t: float
    mart_t: float
    export_g: int
    mart_g: int
    export_rows: int
    mart_rows: int
    match: bool


@dataclass(frozen=True)
class TotalsCheck:
    sheet: str  # the exported sheet compared against marts.emissions
    ok: bool
    pollutants: list[PollutantTotal]


@dataclass
class ExportManifest:
    year: int
    warehouse: str  # the warehouse's file name
    formats: list[str]
    files: list[FileEntry] = field(default_factory=list)
    sheets: list[SheetEntry] = field(default_factory=list)
    totals_check: list[TotalsCheck] = field(default_factory=list)
    source_files: list[dict[str, str | None]] = field(default_factory=list)
    # CEMS logs by folder: feed, folder, files, first, last, list_sha256 (see
    # reports/extract.py SourceFolder for how to compute it again)
    source_folders: list[dict[str, str | int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def totals_ok(self) -> bool:
        return all(check.ok for check in self.totals_check)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8", newline="\n")
        tmp.replace(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: Path, fmt: str, sheet: str | None, rows: int) -> FileEntry:
    return FileEntry(path.name, fmt, sheet, rows, sha256_of(path), path.stat().st_size)


def to_grams(tonnes: float) -> int:
    return round(tonnes * GRAMS_PER_TONNE)


def compare_totals(
    sheet: str, exported: dict[str, tuple[float, int]], mart: dict[str, tuple[float, int]]
) -> TotalsCheck:
    """Per pollutant: equal to the gram and covering the same number of mart rows."""
    totals = []
    for pollutant in sorted(set(exported) | set(mart)):
        export_t, export_rows = exported.get(pollutant, (0.0, 0))
        mart_t, mart_rows = mart.get(pollutant, (0.0, 0))
        export_g, mart_g = to_grams(export_t), to_grams(mart_t)
        match = export_g == mart_g and export_rows == mart_rows
        totals.append(
            PollutantTotal(
                pollutant, export_t, mart_t, export_g, mart_g, export_rows, mart_rows, match
            )
        )
    return TotalsCheck(sheet, all(t.match for t in totals), totals)
