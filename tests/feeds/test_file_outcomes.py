"""Ledger files that cannot be read whole, cut rows, formulas without values, plausibility."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import duckdb
import openpyxl

from dagster_project.feeds.contracts import ACTIVITY, BOILERS, MANUAL_TESTS
from dagster_project.feeds.ingest import ingest_feed

from .ledger_files import ENTERPRISES, write_csv, write_xlsx

E1, E2 = ENTERPRISES[:2]
HEADER = ["统一社会信用代码", "锅炉编号", "燃料类型", "额定蒸发量(t/h)", "运行状态"]


def _rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select source_file, line_no, reason, detail from audit.rejected_records order by 1, 2"
    ).fetchall()


def _log(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        "select source_file, rows_read, rows_loaded, rows_rejected from audit.load_log"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_empty_unreadable_and_mislabelled_files_are_rejected_rows(tmp_path: Path, con) -> None:
    folder = tmp_path / "boilers"
    folder.mkdir()
    (folder / "a_empty.csv").write_bytes(b"")
    (folder / "b_blank.csv").write_bytes(b"\xef\xbb\xbf \r\n\r\n")
    (folder / "c_random.xlsx").write_bytes(os.urandom(2048))
    (folder / "d_unreadable.csv").mkdir()  # a folder named like a file: cannot be read
    wb = openpyxl.Workbook()
    wb.save(folder / "e_no_cells.xlsx")
    write_csv(folder / "f_good.csv", [HEADER, [E1, "GL01", "gas", "4", "in_use"]])
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    got = {(f, line, reason): detail for f, line, reason, detail in _rejects(con)}
    assert set(got) == {
        ("boilers/a_empty.csv", 0, "empty_file"),
        ("boilers/b_blank.csv", 0, "empty_file"),
        ("boilers/c_random.xlsx", 0, "unreadable_file"),
        ("boilers/e_no_cells.xlsx", 0, "empty_file"),
    }
    assert got[("boilers/a_empty.csv", 0, "empty_file")] == "file has 0 bytes"
    assert "cannot open workbook" in got[("boilers/c_random.xlsx", 0, "unreadable_file")]
    log = _log(con)
    assert log["boilers/a_empty.csv"] == (1, 0, 1) and log["boilers/f_good.csv"] == (1, 1, 0)
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (5, 1, 4)


def test_a_folder_named_like_a_ledger_is_not_a_file(tmp_path: Path, con) -> None:
    (tmp_path / "boilers" / "x.csv").mkdir(parents=True)
    assert ingest_feed(con, BOILERS, tmp_path, "b1").files == 0


def test_a_csv_cut_mid_row_keeps_its_good_rows(tmp_path: Path, con) -> None:
    folder = tmp_path / "boilers"
    folder.mkdir()

    def ledger(name: str, encoding: str = "utf-8") -> bytes:
        rows = [HEADER, [E1, f"{name}1", "燃气", "4", "in_use"], [E1, f"{name}2", "燃气", "6", "x"]]
        return "\r\n".join(",".join(r) for r in rows).encode(encoding)

    a, b, c = ledger("A"), ledger("B", "gbk"), ledger("C")
    (folder / "a_utf8_mid_char.csv").write_bytes(a[: a.rindex("燃".encode()) + 2])
    (folder / "b_gbk_mid_char.csv").write_bytes(b[: b.rindex("燃".encode("gbk")) + 1])
    (folder / "c_short.csv").write_bytes(c[: c.rindex(b",6")])
    (folder / "d_open_quote.csv").write_bytes(ledger("D") + f'\r\n{E2},"GL0'.encode())
    (folder / "e_whole_no_break.csv").write_bytes(ledger("E"))
    ingest_feed(con, BOILERS, tmp_path, "b1")
    cut = {f: (line, reason) for f, line, reason, _ in _rejects(con)}
    assert cut == {
        "boilers/a_utf8_mid_char.csv": (3, "truncated_row"),
        "boilers/b_gbk_mid_char.csv": (3, "truncated_row"),
        "boilers/c_short.csv": (3, "truncated_row"),
        "boilers/d_open_quote.csv": (4, "truncated_row"),
    }
    loaded = con.execute(
        "select source_file, count(*) from raw.boilers group by 1 order by 1"
    ).fetchall()
    assert loaded == [
        ("boilers/a_utf8_mid_char.csv", 1),
        ("boilers/b_gbk_mid_char.csv", 1),
        ("boilers/c_short.csv", 1),
        ("boilers/d_open_quote.csv", 2),
        ("boilers/e_whole_no_break.csv", 2),
    ]
    assert con.execute("select distinct fuel from raw.boilers").fetchall() == [("燃气",)]


def test_formula_cells_without_a_cached_value_reject_their_row(tmp_path: Path, con) -> None:
    write_xlsx(
        tmp_path / "boilers" / "b.xlsx",
        {
            "锅炉": [
                [*HEADER, "备注"],
                [E1, "GL01", "gas", "=2*2", "in_use"],
                [E1, "GL02", "gas", 6, "in_use", "=A1"],
                [E1, "GL03", "gas", 8, "in_use"],
                [None, None, None, "=SUM(D2:D4)"],  # only a formula: still a row, not a blank
            ]
        },
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (4, 1, 3)
    rows = con.execute(
        "select line_no, reason, raw_text from audit.rejected_records order by 1"
    ).fetchall()
    assert rows == [
        (2, "formula_without_value:capacity_t_h", f"{E1},GL01,gas,=2*2,in_use"),
        (3, "formula_without_value:备注", f"{E1},GL02,gas,6,in_use,=A1"),
        (5, "formula_without_value:capacity_t_h", ",,,=SUM(D2:D4)"),
    ]


def test_a_csv_without_a_contract_header_rejects_every_row(tmp_path: Path, con) -> None:
    write_csv(tmp_path / "boilers" / "b.csv", [["foo", "bar"], ["1", "2"], ["3", "4"]])
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_rejected) == (3, 3)
    assert {r[2] for r in _rejects(con)} == {"no_contract_header"}


def test_impossible_values_are_rejected_and_unusual_ones_flagged(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "b.csv",
        [
            HEADER,
            [E1, "GL01", "gas", "1e12", "in_use"],
            [E1, "GL02", "gas", "abc", "in_use"],
            [E1, "GL03", "gas", "0", "in_use"],
            [E1, "GL04", "peat", "10", "in_use"],
            [E1, "GL05", "coal", "130", "in_use"],
        ],
    )
    ingest_feed(con, BOILERS, tmp_path, "b1")
    rejects = _rejects(con)
    assert [r[1:3] for r in rejects] == [
        (2, "out_of_range:capacity_t_h"),
        (3, "bad_value:capacity_t_h='abc'"),
        (4, "out_of_range:capacity_t_h"),
    ]
    assert rejects[0][3].startswith("capacity_t_h=1000000000000.0 t/h: reject unless 0 < value")
    assert con.execute("select unit_id, warnings from raw.boilers order by 1").fetchall() == [
        ("GL04", "fuel='peat' is not one of coal, gas, natural_gas, biomass, oil, electric, "
                 "coal_gangue, coke, producer_gas"),
        ("GL05", None),
    ]  # fmt: skip
    note = con.execute("select note from audit.load_log").fetchone()[0]
    assert "1 rows loaded with plausibility warnings" in note


def test_bounds_of_percentages_and_tests(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "activity" / "a.csv",
        [
            ["统一社会信用代码", "月份", "类别", "名称", "数量", "单位", "含硫量(%)"],
            [E1, "2023-01", "fuel", "原煤", "100", "t", "0.8"],
            [E1, "2023-02", "fuel", "原煤", "-5", "t", "0.8"],
            [E1, "2023-03", "fuel", "原煤", "100", "t", "120"],
            [E1, "2023-04", "fuel", "原煤", "100", "t", "4.5"],
        ],
    )
    write_csv(
        tmp_path / "manual_tests" / "m.csv",
        [
            ["统一社会信用代码", "排放口编号", "污染物编码", "监测日期", "折算浓度", "含氧量"],
            [E1, "DA001", "a21026", "2023-05-01", "12", "21.3"],
            [E1, "DA001", "a21002", "2023-05-01", "-1", "9"],
        ],
    )
    ingest_feed(con, ACTIVITY, tmp_path, "b1")
    ingest_feed(con, MANUAL_TESTS, tmp_path, "b1")
    assert [r[1:3] for r in _rejects(con)] == [
        (3, "out_of_range:quantity"),
        (4, "out_of_range:sulfur_pct"),
        (3, "out_of_range:converted_mg_m3"),
    ]
    warned = con.execute("select warnings from raw.activity where warnings is not null").fetchall()
    assert len(warned) == 1 and warned[0][0].startswith("sulfur_pct=4.5 %: high-sulfur coal")
    o2 = con.execute("select warnings from raw.manual_tests").fetchone()[0]
    assert o2.startswith("o2_pct=21.3 %: flue gas holds no more oxygen than air")


def test_a_sheet_whose_xml_breaks_off_keeps_the_rows_before(tmp_path: Path, con) -> None:
    rows = [HEADER] + [[E1, f"GL{i:02d}", "gas", 4, "in_use"] for i in range(1, 40)]
    whole = write_xlsx(tmp_path / "whole.xlsx", {"锅炉": rows})
    damaged = io.BytesIO()
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # the sheet XML stops half-way
            zout.writestr(item, data)
    (tmp_path / "boilers").mkdir()
    (tmp_path / "boilers" / "b.xlsx").write_bytes(damaged.getvalue())
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    (line, reason, detail), *_ = [r[1:] for r in _rejects(con)]
    assert reason == "unreadable_file" and detail.startswith("sheet 锅炉 cannot be read from row")
    assert stats.rows_loaded == line - 2  # every data row above the break
    assert stats.rows_rejected == 1
