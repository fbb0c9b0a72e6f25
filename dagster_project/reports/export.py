"""`lantian export --year YYYY`: the provincial inventory export from the current warehouse.

Reads the warehouse read-only (never writes to it), refuses a year the inventory does not hold,
checks every sheet's source tables against the catalogue before writing anything, then writes
the workbook, one CSV and one Parquet file per sheet, and `manifest.json`. Every number is
rounded once at the contract's precision and rows come in a total order, so the same data gives
identical bytes: exporting one warehouse twice, or two builds of the same sources.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Collection
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from dagster_project.reports.catalogue import EMISSIONS_DETAIL, EMISSIONS_SUMMARY, SHEETS, Sheet
from dagster_project.reports.extract import (
    ExportContractError,
    check_columns,
    existing_columns,
    fetch_sheet,
    mart_totals,
    missing_tables,
    open_readonly,
    read_build_info,
    table_totals,
    years_with_data,
)
from dagster_project.reports.manifest import (
    ExportManifest,
    SheetEntry,
    compare_totals,
    file_entry,
)
from dagster_project.reports.writers import XLSX_MAX_ROWS, write_csv, write_parquet, write_xlsx

FORMATS = ("xlsx", "csv", "parquet")
MANIFEST_NAME = "manifest.json"
# The workbook's document date: fixed (as its zip entries' dates are), so the same data gives the
# same bytes whenever and by whichever build it is exported; provenance is in manifest.json.
UNDATED = datetime(1980, 1, 1)
# `lantian build` exports from `.<name>.building-<build_id>` and then renames it to `<name>`.
_BUILDING = re.compile(r"^\.(?P<name>.+)\.building-[^/]+$")


class ExportTotalsMismatch(RuntimeError):
    """The exported emissions do not add up to marts.emissions to the gram."""


class NoDataForYear(ValueError):
    """The warehouse holds no inventory for the year asked: nothing is written."""


def file_stem(year: int, key: str) -> str:
    return f"lantian_{year}_{key}"


def published_path(path: Path) -> Path:
    """The path analysts will know: a build's temporary file is named as its target."""
    match = _BUILDING.match(path.name)
    return path.with_name(match["name"]) if match else path


def export_inventory(
    warehouse: Path,
    year: int,
    out_dir: Path,
    formats: Collection[str] = FORMATS,
) -> ExportManifest:
    """Write the export for `year` into `out_dir` and return (and write) its manifest."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unknown export format(s) {unknown or '(none)'}; choose from {FORMATS}")
    chosen = [f for f in FORMATS if f in formats]
    warehouse = warehouse.resolve()
    con = open_readonly(warehouse)
    try:
        existing = existing_columns(con)
        years = years_with_data(con, existing)
        if year not in years:
            raise NoDataForYear(
                f"no data for {year} in {published_path(warehouse)} (years with data: "
                f"{', '.join(map(str, years)) or 'none'}); nothing written"
            )
        build = read_build_info(con, existing)
        manifest = ExportManifest(
            year=year,
            warehouse=published_path(warehouse).name,
            formats=chosen,
            source_files=[
                {"feed": feed, "source_file": name, "sha256": sha}
                for feed, name, sha in build.source_files
            ],
            source_folders=[asdict(folder) for folder in build.source_folders],
        )
        if not build.source_files and not build.source_folders:
            manifest.warnings.append("audit.load_log names no source files of the latest build")
        present = _check_contract(existing, manifest)
        tables = [(sheet, fetch_sheet(con, sheet, year)) for sheet in present]
        mart = mart_totals(con, year) if EMISSIONS_DETAIL in present else None
    finally:
        con.close()
    rows = {sheet.key: table.num_rows for sheet, table in tables}
    manifest.sheets = [
        _sheet_entry(s, "exported" if s.key in rows else "skipped", rows.get(s.key)) for s in SHEETS
    ]

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_files(manifest, tables, out_dir, year, UNDATED)
    _remove_stale_files(manifest, out_dir, year)
    _check_totals(manifest, tables, mart)
    manifest.write(out_dir / MANIFEST_NAME)
    if not manifest.totals_ok:
        raise ExportTotalsMismatch(
            f"exported emissions differ from marts.emissions for {year}; see "
            f"{out_dir / MANIFEST_NAME} (totals_check)"
        )
    return manifest


def _check_contract(existing: dict[str, set[str]], manifest: ExportManifest) -> list[Sheet]:
    """The sheets to export, checked in full before anything is written so that a contract
    failure never leaves a partial export. A sheet whose table is not built yet is skipped with
    a warning."""
    present = []
    for sheet in SHEETS:
        absent = missing_tables(sheet, existing)
        if absent:
            manifest.warnings.append(
                f"sheet {sheet.title} ({sheet.key}) skipped: "
                f"{', '.join(absent)} not in the warehouse"
            )
            continue
        check_columns(sheet, existing)
        present.append(sheet)
    return present


def _sheet_entry(sheet: Sheet, status: str, rows: int | None) -> SheetEntry:
    return SheetEntry(sheet.key, sheet.title, status, rows, list(sheet.sources), sheet.year_scope)


def _write_files(
    manifest: ExportManifest,
    tables: list[tuple[Sheet, pa.Table]],
    out_dir: Path,
    year: int,
    created: datetime,
) -> None:
    if "xlsx" in manifest.formats:
        fits = []
        for sheet, table in tables:
            if table.num_rows + 1 > XLSX_MAX_ROWS:
                manifest.warnings.append(
                    f"sheet {sheet.title} ({sheet.key}) has {table.num_rows} rows, over Excel's "
                    "limit: left out of the workbook, complete in CSV/Parquet"
                )
            else:
                fits.append((sheet, table))
        path = out_dir / f"{file_stem(year, 'inventory')}.xlsx"
        write_xlsx(path, fits, created, f"蓝天工程重点行业排放清单 {year}")
        manifest.files.append(file_entry(path, "xlsx", None, sum(t.num_rows for _, t in fits)))
    for sheet, table in tables:
        stem = file_stem(year, sheet.key)
        if "csv" in manifest.formats:
            path = out_dir / f"{stem}.csv"
            write_csv(path, sheet, table)
            manifest.files.append(file_entry(path, "csv", sheet.key, table.num_rows))
        if "parquet" in manifest.formats:
            path = out_dir / f"{stem}.parquet"
            write_parquet(path, sheet, table, year)
            manifest.files.append(file_entry(path, "parquet", sheet.key, table.num_rows))


def _remove_stale_files(manifest: ExportManifest, out_dir: Path, year: int) -> None:
    """Drop this year's export files left by an earlier run (a skipped sheet, another format),
    so the folder holds exactly what the manifest lists. Only our own file names are touched."""
    written = {f.name for f in manifest.files}
    ours = {f"{file_stem(year, 'inventory')}.xlsx"}
    ours |= {f"{file_stem(year, s.key)}.{ext}" for s in SHEETS for ext in ("csv", "parquet")}
    for name in sorted(ours - written):
        (out_dir / name).unlink(missing_ok=True)


def _check_totals(
    manifest: ExportManifest,
    tables: list[tuple[Sheet, pa.Table]],
    mart: dict[str, tuple[float, int]] | None,
) -> None:
    if mart is None:
        manifest.warnings.append("totals check skipped: marts.emissions not in the warehouse")
        return
    for sheet, table in tables:
        if sheet in (EMISSIONS_DETAIL, EMISSIONS_SUMMARY):
            manifest.totals_check.append(compare_totals(sheet.key, table_totals(table), mart))


def run_export_command(warehouse: Path, year: int, out_dir: Path, formats: list[str]) -> int:
    """The `lantian export` command: export, print a short summary, return the exit code."""
    try:
        manifest = export_inventory(warehouse, year, out_dir, formats)
    except (NoDataForYear, FileNotFoundError) as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 2
    except (ExportContractError, ExportTotalsMismatch, ValueError) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(f"Exported {year} from {warehouse}")
    print(f"  into {out_dir.resolve()}")
    exported = [s for s in manifest.sheets if s.status == "exported"]
    print(f"  {_pad('sheet', 30)}{'rows':>10}")
    for s in exported:
        print(f"  {_pad(s.title, 30)}{s.rows:>10}")
    print(f"files: {len(manifest.files)} + {MANIFEST_NAME}")
    for check in manifest.totals_check:
        grams = sum(t.export_g for t in check.pollutants)
        print(
            f"totals check {check.sheet}: {'OK' if check.ok else 'MISMATCH'} "
            f"({grams / 1_000_000:.6f} t over {len(check.pollutants)} pollutants)"
        )
    for warning in manifest.warnings:
        print(f"warning: {warning}")
    return 0


def _pad(text: str, width: int) -> str:
    """Left-align `text` in `width` terminal columns; CJK characters take two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)
