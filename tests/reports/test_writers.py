"""Writers keep every value exactly: floats round-trip through CSV and xlsx, text stays text."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.reports.catalogue import Kind, OutputColumn, Sheet
from dagster_project.reports.writers import write_csv, write_parquet, write_xlsx

SHEET = Sheet(
    key="probe",
    title="测试",
    sources=(),
    query="",
    columns=(
        OutputColumn("emissions_t", "排放量(吨)", Kind.FLOAT),
        OutputColumn("mn", "设备MN号", Kind.TEXT),
    ),
    order_by=("emissions_t",),
    year_scope="",
)
tonnes = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
codes = st.text(alphabet="0123456789=+-@孟州", min_size=1, max_size=16)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.tuples(tonnes, codes), min_size=1, max_size=20))
def test_csv_round_trips_floats_exactly_and_text_verbatim(
    tmp_path_factory, values: list[tuple[float, str]]
) -> None:
    path = tmp_path_factory.mktemp("csv") / "probe.csv"
    table = pa.table({"emissions_t": [v[0] for v in values], "mn": [v[1] for v in values]})
    write_csv(path, SHEET, table)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0] == ["排放量(吨)", "设备MN号"]
    # text verbatim, except that a cell a spreadsheet would run as a formula gets a leading '
    expected = [(t, "'" + code if code[0] in "=+-@" else code) for t, code in values]
    assert [(float(r[0]), r[1]) for r in rows[1:]] == expected


def test_csv_neutralises_formula_cells_and_parquet_keeps_them_raw(tmp_path: Path) -> None:
    hostile = ['=HYPERLINK("http://x","点击")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok"]
    table = pa.table({"emissions_t": [-1.5] * len(hostile), "mn": hostile})
    write_csv(tmp_path / "probe.csv", SHEET, table)
    write_parquet(tmp_path / "probe.parquet", SHEET, table, 2023)
    text = (tmp_path / "probe.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[1] for r in rows[1:]] == ["'" + h for h in hostile[:-1]] + ["ok"]
    assert [r[0] for r in rows[1:]] == ["-1.5"] * len(hostile)  # numbers are not text cells
    assert pq.read_table(tmp_path / "probe.parquet")["mn"].to_pylist() == hostile


def test_xlsx_keeps_numbers_as_numbers_and_formula_like_text_as_text(tmp_path: Path) -> None:
    table = pa.table({"emissions_t": [0.1 + 0.2, 12345.678901], "mn": ["=1+1", "0410883000001"]})
    path = tmp_path / "probe.xlsx"
    write_xlsx(path, [(SHEET, table)], datetime(2024, 1, 2, 3, 4, 5), "probe")
    book = openpyxl.load_workbook(path)
    rows = list(book["测试"].iter_rows(min_row=2, values_only=True))
    # xlsxwriter writes 16 significant digits: 0.30000000000000004 comes back as 0.3
    assert rows == [(0.3, "=1+1"), (12345.678901, "0410883000001")]
    assert book["测试"]["B2"].data_type == "s"
    assert book.properties.created == datetime(2024, 1, 2, 3, 4, 5)
