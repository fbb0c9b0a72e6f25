"""Input text is data: CSV cells that a spreadsheet would run as a formula are neutralised.

OWASP's CSV-injection advice: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return is read by Excel and LibreOffice as a formula (`=HYPERLINK(...)` from a ledger becomes a
live link). Such a text cell is written with a leading apostrophe, which spreadsheets show as
text; the raw value stays untouched in Parquet (and in the warehouse). Numbers are never text
cells, so negative numbers are unaffected.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
