"""Write ledger rows the way offices receive them: CSV in UTF-8 / UTF-8 with BOM / GBK, or xlsx,
with canonical or Chinese headers (the aliases of `feeds/contracts.py`), header in row 1.

Every writer is deterministic: xlsx files carry a fixed creation time, so the same rows give
the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from dagster_project.feeds.contracts import FeedSpec

FIXED_CREATED = datetime(2023, 12, 1, 8, 30, 0)


@dataclass(frozen=True)
class Style:
    """How one office writes values."""

    chinese: bool = True  # Chinese headers (aliases) instead of canonical names
    alias_index: int = 0  # which alias when a column has several
    bools: tuple[str, str] = ("是", "否")
    date_fmt: str = "%Y-%m-%d"
    datetime_fmt: str = "%Y-%m-%d %H:%M:%S"
    overrides: tuple[tuple[str, str], ...] = ()  # (canonical, the alias this office uses)

    def with_headers(self, **overrides: str) -> Style:
        return replace(self, overrides=tuple(overrides.items()))


CANONICAL = Style(chinese=False, bools=("true", "false"))


def headers(spec: FeedSpec, style: Style, columns: Sequence[str]) -> list[str]:
    by_name = {c.name: c for c in spec.columns}
    chosen = dict(style.overrides)
    out = []
    for name in columns:
        c = by_name.get(name)
        if style.chinese and name in chosen:
            assert c is not None and chosen[name] in c.aliases, (name, chosen[name])
            out.append(chosen[name])
        elif c is None or not style.chinese or not c.aliases:
            out.append(name)
        else:
            out.append(c.aliases[min(style.alias_index, len(c.aliases) - 1)])
    return out


def text(v: Any, style: Style) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return style.bools[0] if v else style.bools[1]
    if isinstance(v, datetime):
        return v.strftime(style.datetime_fmt)
    if isinstance(v, date):
        return v.strftime(style.date_fmt)
    if isinstance(v, float):
        v += 0.0  # -0.0 -> 0.0: no negative zero in the files
        return f"{v:.10g}" if abs(v) < 1e9 else f"{v:.1f}"
    return str(v)


def write_csv(
    path: Path,
    spec: FeedSpec,
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    style: Style,
    encoding: str,
) -> int:
    """CSV with \\r\\n line ends (as Excel saves them); `columns` may include extra, unknown
    columns (their header is written as given)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers(spec, style, columns))
    for r in rows:
        w.writerow([text(r.get(c), style) for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return len(rows)


def write_xlsx(
    path: Path,
    spec: FeedSpec,
    sheets: dict[str, list[dict[str, Any]]],
    columns: Sequence[str],
    style: Style,
) -> int:
    """One header row per sheet, then values; dates as Excel date cells, booleans as 是/否 text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": FIXED_CREATED, "author": "孟州市生态环境分局"})
    date_f = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_f = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    head_f = wb.add_format({"bold": True})
    n = 0
    for sheet, rows in sheets.items():
        ws = wb.add_worksheet(sheet)
        for j, h in enumerate(headers(spec, style, columns)):
            ws.write_string(0, j, h, head_f)
        for i, r in enumerate(rows, start=1):
            for j, c in enumerate(columns):
                v = r.get(c)
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_string(i, j, style.bools[0] if v else style.bools[1])
                elif isinstance(v, datetime):
                    ws.write_datetime(i, j, v, dt_f)
                elif isinstance(v, date):
                    ws.write_datetime(i, j, datetime(v.year, v.month, v.day), date_f)
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, str(v))
        n += len(rows)
    wb.close()
    return n
