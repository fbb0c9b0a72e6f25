"""Builders for ledger fixture files (CSV in any encoding, xlsx with several sheets)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import openpyxl

from dagster_project.feeds.uscc import make_uscc

ENTERPRISES = [make_uscc(random.Random(i)) for i in range(6)]


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8", newline: str = "\n"
) -> Path:
    """Rows joined with commas (fixtures choose text without commas); 'utf-8-sig' writes a BOM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(",".join(r) for r in rows) + newline).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path
