"""Ledger ingest into a real DuckDB file: encodings, xlsx sheets, headers, rejects and counts."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pytest

from dagster_project.feeds.contracts import (
    BOILERS,
    KILNS,
    LEDGER_FEEDS,
    RAW_LINEAGE_COLUMNS,
    RAW_TYPES,
    REGISTRY_ENTERPRISES,
    REGISTRY_OUTLETS,
    VOC_SOURCES,
)
from dagster_project.feeds.ingest import find_feed_files, ingest_feed
from dagster_project.feeds.readers import FeedFileError, read_ledger_file
from dagster_project.warehouse import AUDIT_DDL

from .ledger_files import ENTERPRISES, write_csv, write_xlsx

E1, E2, E3 = ENTERPRISES[:3]
BOILER_HEADER = [
    "统一社会信用代码",
    "锅炉编号",
    "燃料类型",
    "额定蒸发量（蒸吨/小时）",
    "运行状态",
    "低氮燃烧",
]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _assert_reconciled(con: duckdb.DuckDBPyConnection, spec_table: str, feed: str) -> None:
    """Per file: read = loaded + rejected, and both match the rows actually written."""
    for source_file, read, loaded, rejected in _rows(
        con,
        "select source_file, rows_read, rows_loaded, rows_rejected from audit.load_log "
        "where feed = ?",
        [feed],
    ):
        assert read == loaded + rejected, source_file
        assert (
            _rows(
                con, f"select count(*) from raw.{spec_table} where source_file = ?", [source_file]
            )[0][0]
            == loaded
        )
        assert (
            _rows(
                con,
                "select count(*) from audit.rejected_records where feed = ? and source_file = ?",
                [feed, source_file],
            )[0][0]
            == rejected
        )


def test_gbk_csv_with_chinese_headers_and_title_row(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "boilers_2023.csv",
        [
            ["孟州市锅炉台账"],
            BOILER_HEADER,
            [E1, "GL01", "gas", "4", "in_use", "是"],
            [E1, "GL02", "biomass", "2.5", "standby", ""],
        ],
        encoding="gbk",
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.files, stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (1, 2, 2, 0)
    assert _rows(
        con,
        "select unit_id, fuel, capacity_t_h, low_nox_burner, source_file, line_no, sheet, build_id "
        "from raw.boilers order by line_no",
    ) == [
        ("GL01", "gas", 4.0, True, "boilers/boilers_2023.csv", 3, None, "b1"),
        ("GL02", "biomass", 2.5, None, "boilers/boilers_2023.csv", 4, None, "b1"),
    ]
    note = _rows(con, "select note from audit.load_log")[0][0]
    assert "encoding=gb18030" in note and "title rows" in note
    _assert_reconciled(con, "boilers", "boilers")


def test_utf8_bom_csv_any_column_order_with_extra_columns(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "voc" / "voc.csv",
        [
            ["备注", "Process", " 设备编号 ", "ENTERPRISE_ID", "密封点数量", "企业名称"],
            ["新增", "coating", "SC01", E2, "１２００", "孟州市甲乙丙家具有限公司"],
            ["", "printing", "SC02", E2, "", "孟州市甲乙丙家具有限公司"],
        ],
        encoding="utf-8-sig",
        newline="\r\n",
    )
    stats = ingest_feed(con, VOC_SOURCES, tmp_path, "b1")
    assert stats.rows_loaded == 2
    rows = _rows(
        con,
        "select enterprise_id, unit_id, process, seal_points, extra_columns, line_no "
        "from raw.voc_sources order by line_no",
    )
    assert [r[:4] for r in rows] == [(E2, "SC01", "coating", 1200), (E2, "SC02", "printing", None)]
    assert json.loads(rows[0][4]) == {"备注": "新增", "企业名称": "孟州市甲乙丙家具有限公司"}
    assert json.loads(rows[1][4]) == {"备注": None, "企业名称": "孟州市甲乙丙家具有限公司"}
    assert [r[5] for r in rows] == [2, 3]
    assert "encoding=utf-8-sig" in _rows(con, "select note from audit.load_log")[0][0]


def test_xlsx_every_contract_sheet_with_sheet_row_numbers(tmp_path: Path, con) -> None:
    header = ["统一社会信用代码", "窑炉编号", "炉窑类型", "炉体破损", "发现日期", "整改时限"]
    write_xlsx(
        tmp_path / "kilns" / "kilns.xlsx",
        {
            "说明": [["本表由企业填报"], ["联系人", "张三"]],
            "砖瓦": [
                ["工业炉窑台账（砖瓦）"],
                header,
                [E1, "YL01", "tunnel_kiln", "是", dt.datetime(2023, 5, 10), "2023-10-31"],
                [None],
                [E1, "YL02", "tunnel_kiln", "否", None, None],
            ],
            "玻璃": [
                [*header[:3], "备注"],
                [E3, "RL01", "glass_furnace", "全氧燃烧"],
            ],
        },
    )
    stats = ingest_feed(con, KILNS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (3, 3, 0)
    assert _rows(
        con,
        "select sheet, line_no, unit_id, damage_found, found_date, rectification_deadline, "
        "extra_columns from raw.kilns order by sheet desc, line_no",
    ) == [
        ("砖瓦", 3, "YL01", True, dt.date(2023, 5, 10), dt.date(2023, 10, 31), None),
        ("砖瓦", 5, "YL02", False, None, None, None),
        ("玻璃", 2, "RL01", None, None, None, '{"备注": "全氧燃烧"}'),
    ]
    note = _rows(con, "select note from audit.load_log")[0][0]
    assert "sheet 说明: no contract header" in note
    _assert_reconciled(con, "kilns", "kilns")


def test_missing_required_column_is_a_clear_error_and_rejects_the_file(tmp_path: Path, con) -> None:
    bad = write_csv(
        tmp_path / "boilers" / "a_missing_fuel.csv",
        [
            ["统一社会信用代码", "锅炉编号", "额定蒸发量(t/h)", "运行状态"],
            [E1, "GL01", "4", "in_use"],
            [E1, "GL02", "6", "in_use"],
        ],
    )
    write_csv(
        tmp_path / "boilers" / "b_good.csv",
        [BOILER_HEADER, [E2, "GL01", "coal", "10", "in_use", "N"]],
    )
    with pytest.raises(FeedFileError) as err:
        read_ledger_file(bad, BOILERS, "boilers/a_missing_fuel.csv")
    assert err.value.file == "boilers/a_missing_fuel.csv"
    assert "fuel" in str(err.value) and "boilers/a_missing_fuel.csv" in str(err.value)

    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.files, stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (2, 3, 1, 2)
    assert any("a_missing_fuel.csv" in n and "fuel" in n for n in stats.notes)
    assert _rows(
        con,
        "select source_file, line_no, reason, raw_text from audit.rejected_records "
        "order by line_no",
    ) == [
        ("boilers/a_missing_fuel.csv", 2, "missing_required_column:fuel", f"{E1},GL01,4,in_use"),
        ("boilers/a_missing_fuel.csv", 3, "missing_required_column:fuel", f"{E1},GL02,6,in_use"),
    ]
    log = dict(
        (r[0], r[1:])
        for r in _rows(
            con,
            "select source_file, rows_read, rows_loaded, rows_rejected, note from audit.load_log",
        )
    )
    assert log["boilers/a_missing_fuel.csv"][:3] == (2, 0, 2)
    assert "missing required column fuel" in log["boilers/a_missing_fuel.csv"][3]
    _assert_reconciled(con, "boilers", "boilers")


def test_bad_values_rejected_with_file_line_and_reason(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "sub" / "boilers.csv",
        [
            [*BOILER_HEADER, "投运年份"],
            [E1, "GL01", "gas", "abc", "in_use", "是", "2015"],
            [E1, "GL02", "gas", "4", "in_use", "maybe", "2015"],
            [E1, "GL03", "", "4", "in_use", "", ""],
            [E1, "GL04", "coal", "10", "in_use", "", ""],
            [E1, "GL05", "coal", "10", "in_use", "", "二〇一五"],
        ],
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (5, 1, 4)
    assert _rows(
        con, "select source_file, line_no, reason from audit.rejected_records order by line_no"
    ) == [
        ("boilers/sub/boilers.csv", 2, "bad_value:capacity_t_h='abc'"),
        ("boilers/sub/boilers.csv", 3, "bad_value:low_nox_burner='maybe'"),
        ("boilers/sub/boilers.csv", 4, "missing_value:fuel"),
        ("boilers/sub/boilers.csv", 6, "bad_value:commissioned_year='二〇一五'"),
    ]
    # empty optional columns load as null
    assert _rows(con, "select unit_id, low_nox_burner, commissioned_year from raw.boilers") == [
        ("GL04", None, None)
    ]
    raw_text = _rows(con, "select raw_text from audit.rejected_records where line_no = 2")[0][0]
    assert raw_text == f"{E1},GL01,gas,abc,in_use,是,2015"
    _assert_reconciled(con, "boilers", "boilers")


def test_malformed_rows_are_rejected(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "boilers.csv",
        [
            BOILER_HEADER,
            [E1, "GL01", "gas", "4", "in_use"],  # a field short
            [E1, "GL02", "gas", "4", "in_use", "是", "surplus"],
            [E1, "GL03", "gas", "4", "in_use", "是", ""],  # a trailing empty field is fine
            [",,,,,"],  # blank row: not a record
        ],
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (3, 1, 2)
    assert _rows(con, "select line_no, reason from audit.rejected_records order by 1") == [
        (2, "malformed_row"),
        (3, "malformed_row"),
    ]
    assert "1 blank rows skipped" in _rows(con, "select note from audit.load_log")[0][0]


def test_duplicate_keys_are_never_settled_silently(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "2023-01_boilers.csv",
        [
            BOILER_HEADER,
            [E1, "GL01", "coal", "4", "in_use", ""],
            [E1, "GL02", "gas", "2", "in_use", ""],
            [E3, "GL01", "gas", "2", "in_use", "否"],
        ],
    )
    write_csv(
        tmp_path / "boilers" / "2023-06_boilers.csv",
        [
            BOILER_HEADER,
            [E1, "GL01", "gas", "4", "in_use", "是"],
            [E2, "GL01", "gas", "6", "in_use", ""],
            [E2, "GL01", "gas", "8", "in_use", ""],
            [E3, "GL01", "gas", "2.0", "in_use", "N"],  # the same values, written differently
        ],
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (7, 2, 5)
    # conflicting copies: none is loaded; identical copies: the first is
    assert _rows(
        con, "select enterprise_id, unit_id, source_file, line_no from raw.boilers order by 1"
    ) == sorted(
        [
            (E1, "GL02", "boilers/2023-01_boilers.csv", 3),
            (E3, "GL01", "boilers/2023-01_boilers.csv", 4),
        ]
    )
    a, b = "boilers/2023-01_boilers.csv", "boilers/2023-06_boilers.csv"
    assert _rows(
        con,
        "select source_file, line_no, reason, detail from audit.rejected_records order by 1, 2",
    ) == [
        (a, 2, "duplicate_key", f"same key as {b} line 2 with different values: no copy is loaded"),
        (b, 2, "duplicate_key", f"same key as {a} line 2 with different values: no copy is loaded"),
        (b, 3, "duplicate_key", f"same key as {b} line 4 with different values: no copy is loaded"),
        (b, 4, "duplicate_key", f"same key as {b} line 3 with different values: no copy is loaded"),
        (b, 5, "duplicate_key", f"same key and values as {a} line 4: the first copy is loaded"),
    ]
    _assert_reconciled(con, "boilers", "boilers")


def test_duplicates_in_a_workbook_name_their_sheets(tmp_path: Path, con) -> None:
    write_xlsx(
        tmp_path / "registry" / "outlets.xlsx",
        {
            "一": [["企业统一社会信用代码", "排放口编号", "MN号", "排放口名称", "排放源类型"],
                  [E1, "DA001", "41088300000001", "锅炉", "boiler"]],
            "二": [["企业统一社会信用代码", "排放口编号", "MN号", "排放口名称", "排放源类型"],
                  [E2, "DA001", "41088300000001", "窑炉", "kiln"]],
        },
    )  # fmt: skip
    stats = ingest_feed(con, REGISTRY_OUTLETS, tmp_path, "b1")
    assert (stats.rows_loaded, stats.rows_rejected) == (0, 2)
    assert _rows(con, "select sheet, detail from audit.rejected_records order by 1") == [
        ("一", "same key as registry/outlets.xlsx sheet 二 line 2 with different values: "
               "no copy is loaded"),
        ("二", "same key as registry/outlets.xlsx sheet 一 line 2 with different values: "
               "no copy is loaded"),
    ]  # fmt: skip


def test_records_without_any_key_value_are_not_duplicates(tmp_path: Path, con) -> None:
    header = [
        "统一社会信用代码",
        "排放口编号",
        "设备MN号",
        "排放口名称",
        "排放源类型",
        "基准氧含量",
    ]
    write_csv(
        tmp_path / "registry" / "outlets.csv",
        [
            header,
            [E1, "DA001", "", "锅炉排放口", "boiler", "9"],
            [E1, "DA002", "", "工艺排放口", "process", ""],
            [E2, "DA001", "41088300000001", "窑炉排放口", "kiln", "18"],
        ],
    )
    stats = ingest_feed(con, REGISTRY_OUTLETS, tmp_path, "b1")
    assert (stats.rows_loaded, stats.rows_rejected) == (3, 0)


def test_missing_folder_gives_an_empty_typed_table(tmp_path: Path, con) -> None:
    for spec in LEDGER_FEEDS:
        stats = ingest_feed(con, spec, tmp_path, "b1")
        assert (stats.files, stats.rows_read) == (0, 0)
        assert any(n.startswith("no files") for n in stats.notes)
        columns = _rows(
            con,
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [spec.table],
        )
        expected = [(c.name, RAW_TYPES[c.type]) for c in spec.columns]
        expected += list(RAW_LINEAGE_COLUMNS.items())
        assert columns == expected
        assert _rows(con, f"select count(*) from raw.{spec.table}")[0][0] == 0
    assert _rows(con, "select count(*) from audit.load_log")[0][0] == 0


def test_file_discovery_skips_readme_hidden_and_lock_files(tmp_path: Path) -> None:
    folder = tmp_path / "boilers"
    for name in ("README.md", "readme.csv", ".hidden.csv", "~$boilers.xlsx", "scan.pdf"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    write_csv(folder / "2023" / "b.CSV", [BOILER_HEADER])
    write_csv(folder / "a.txt", [BOILER_HEADER])
    found = [p.relative_to(tmp_path).as_posix() for p in find_feed_files(tmp_path, BOILERS)]
    assert found == ["boilers/2023/b.CSV", "boilers/a.txt"]


def test_unsupported_files_are_named_in_the_notes(tmp_path: Path, con) -> None:
    (tmp_path / "boilers").mkdir()
    (tmp_path / "boilers" / "boilers_2019.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert any("boilers/boilers_2019.xls: not read" in n for n in stats.notes)


def test_rerunning_a_build_replaces_its_audit_rows(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "b.csv",
        [
            BOILER_HEADER,
            [E1, "GL01", "gas", "x", "in_use", ""],
            [E1, "GL02", "gas", "1", "in_use", ""],
        ],
    )
    for build in ("b1", "b1", "b2"):  # read again even though unchanged
        ingest_feed(con, BOILERS, tmp_path, build, reuse_unchanged=False)
    assert _rows(con, "select build_id, count(*) from audit.load_log group by 1 order by 1") == [
        ("b1", 1),
        ("b2", 1),
    ]
    assert _rows(
        con, "select build_id, count(*) from audit.rejected_records group by 1 order by 1"
    ) == [("b1", 1), ("b2", 1)]
    assert _rows(con, "select build_id, count(*) from raw.boilers group by 1") == [("b2", 1)]


def test_tab_delimited_txt_and_quoted_multiline_fields(tmp_path: Path, con) -> None:
    path = tmp_path / "boilers" / "b.txt"
    path.parent.mkdir(parents=True)
    lines = ["\t".join(BOILER_HEADER), "\t".join([E1, "GL01", "gas", "4", "in_use", ""])]
    text = (
        "\n".join(lines)
        + "\n"
        + f'{E1}\tGL02\t"gas\nLNG"\t4\tin_use\t\n'
        + f"{E1}\tGL03\tgas\t5\tin_use\t\n"
    )
    path.write_text(text, encoding="utf-8")
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert stats.rows_loaded == 3
    assert _rows(con, "select unit_id, fuel, line_no from raw.boilers order by line_no") == [
        ("GL01", "gas", 2),
        ("GL02", "gas\nLNG", 3),
        ("GL03", "gas", 5),
    ]


def test_undecodable_file_is_rejected_not_fatal(tmp_path: Path, con) -> None:
    path = tmp_path / "boilers" / "b.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x80\xff,a\n\x80\xff,b\n")
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (2, 0, 2)
    assert {r[0] for r in _rows(con, "select reason from audit.rejected_records")} == {
        "undecodable"
    }


def test_xlsx_sheet_missing_a_column_is_rejected_while_others_load(tmp_path: Path, con) -> None:
    write_xlsx(
        tmp_path / "registry" / "enterprises.xlsx",
        {
            "企业": [
                ["统一社会信用代码", "企业名称", "乡镇", "行业代码", "重点行业", "绩效分级",
                 "排污许可证编号", "经度", "纬度"],
                [E1, "孟州市甲有限公司", "化工镇", 2614, "chemicals", None, "P1", 112.87, 34.89],
            ],
            "补充": [
                ["统一社会信用代码", "企业名称", "乡镇"],
                [E2, "孟州市乙有限公司", "南庄镇"],
            ],
        },
    )  # fmt: skip
    stats = ingest_feed(con, REGISTRY_ENTERPRISES, tmp_path, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (2, 1, 1)
    # numeric cells in text columns keep the digits a person sees
    assert _rows(
        con, "select industry_code, performance_grade, longitude from raw.registry_enterprises"
    ) == [("2614", None, 112.87)]
    (reason,) = _rows(con, "select reason from audit.rejected_records")[0]
    assert reason.startswith("missing_required_column:industry_code,key_industry")
    _assert_reconciled(con, "registry_enterprises", "registry_enterprises")


def test_rejects_name_their_sheet(tmp_path: Path, con) -> None:
    con.execute(AUDIT_DDL)  # the shared DDL carries audit.rejected_records.sheet
    write_xlsx(
        tmp_path / "boilers" / "b.xlsx",
        {"一厂": [BOILER_HEADER, [E1, "GL01", "gas", "x", "in_use"]],
         "二厂": [BOILER_HEADER, [E2, "GL01", "gas", "y", "in_use"]]},
    )  # fmt: skip
    ingest_feed(con, BOILERS, tmp_path, "b1")
    assert _rows(con, "select sheet, line_no, reason from audit.rejected_records order by 1") == [
        ("一厂", 2, "bad_value:capacity_t_h='x'"),
        ("二厂", 2, "bad_value:capacity_t_h='y'"),
    ]


def test_a_corrupt_workbook_is_logged_not_fatal(tmp_path: Path, con) -> None:
    (tmp_path / "boilers").mkdir()
    (tmp_path / "boilers" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    write_csv(
        tmp_path / "boilers" / "ok.csv", [BOILER_HEADER, [E1, "GL01", "gas", "4", "in_use", ""]]
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.files, stats.rows_loaded) == (2, 1)
    log = dict(_rows(con, "select source_file, note from audit.load_log"))
    assert "cannot open workbook" in log["boilers/broken.xlsx"]


def test_a_stray_delimiter_after_the_header_is_not_a_column(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "b.csv",
        [[*BOILER_HEADER, ""], [E1, "GL01", "gas", "4", "in_use", "否"]],
    )
    stats = ingest_feed(con, BOILERS, tmp_path, "b1")
    assert (stats.rows_loaded, stats.rows_rejected) == (1, 0)


def test_repeated_and_empty_headers_keep_their_values(tmp_path: Path, con) -> None:
    write_csv(
        tmp_path / "boilers" / "b.csv",
        [
            [*BOILER_HEADER, "备注", "", "备注", "锅炉编号"],
            [E1, "GL01", "gas", "4", "in_use", "否", "a", "b", "c", "GL99"],
        ],
    )
    ingest_feed(con, BOILERS, tmp_path, "b1")
    unit_id, extra = _rows(con, "select unit_id, extra_columns from raw.boilers")[0]
    assert unit_id == "GL01"
    assert json.loads(extra) == {"备注": "a", "备注#9": "c", "锅炉编号": "GL99", "column_8": "b"}


def _boiler_feed(tmp_path: Path) -> Path:
    path = tmp_path / "boilers" / "b.csv"
    write_csv(
        path,
        [
            BOILER_HEADER,
            [E1, "GL01", "gas", "x", "in_use", ""],
            [E1, "GL02", "gas", "1", "in_use", ""],
        ],
    )
    write_csv(
        tmp_path / "boilers" / "c.csv", [BOILER_HEADER, [E2, "GL01", "gas", "2", "in_use", ""]]
    )
    return path


def _feed_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return _rows(con, "select * exclude (build_id) from raw.boilers order by all")


def test_unchanged_feed_is_not_read_again_and_keeps_its_counts(tmp_path: Path, con) -> None:
    _boiler_feed(tmp_path)
    first = ingest_feed(con, BOILERS, tmp_path, "b1")
    rows = _feed_rows(con)
    again = ingest_feed(con, BOILERS, tmp_path, "b2")
    assert again.unchanged_since == "b1"
    assert (again.files, again.rows_read, again.rows_loaded, again.rows_rejected) == (
        first.files,
        first.rows_read,
        first.rows_loaded,
        first.rows_rejected,
    )
    assert _feed_rows(con) == rows
    assert _rows(con, "select distinct build_id from raw.boilers") == [("b1",)]
    # b2 logs both files as unchanged with zero counts; b1's counts and rejects stay
    assert _rows(
        con,
        "select source_file, rows_read, note from audit.load_log where build_id = 'b2' order by 1",
    ) == [("boilers/b.csv", 0, "unchanged, skipped"), ("boilers/c.csv", 0, "unchanged, skipped")]
    assert _rows(con, "select build_id, count(*) from audit.rejected_records group by 1") == [
        ("b1", 1)
    ]
    # b1's counts still add up to the rows kept
    assert _rows(
        con,
        "select sum(rows_loaded), sum(rows_rejected) from audit.load_log where build_id = 'b1'",
    ) == [(2, 1)]
    assert _rows(con, "select count(*) from raw.boilers") == [(2,)]
    # a re-run of the feed within b2 changes nothing
    ingest_feed(con, BOILERS, tmp_path, "b2")
    assert _rows(con, "select count(*) from audit.load_log where build_id = 'b2'") == [(2,)]


@pytest.mark.parametrize("change", ["touch", "edit", "add", "remove"])
def test_a_changed_new_or_removed_file_reads_the_feed_again(
    tmp_path: Path, con, change: str
) -> None:
    path = _boiler_feed(tmp_path)
    ingest_feed(con, BOILERS, tmp_path, "b1")
    if change == "touch":
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    elif change == "edit":
        path.write_bytes(path.read_bytes().replace(b"x", b"3"))
    elif change == "add":
        write_csv(tmp_path / "boilers" / "d.csv", [BOILER_HEADER, [E3, "GL01", "gas", "2", "", ""]])
    else:
        (tmp_path / "boilers" / "c.csv").unlink()
    stats = ingest_feed(con, BOILERS, tmp_path, "b2")
    assert stats.unchanged_since is None
    assert _rows(con, "select distinct build_id from raw.boilers") == [("b2",)]
    expected = {"touch": 3, "edit": 3, "add": 4, "remove": 2}[change]
    assert stats.rows_read == expected
    assert _rows(
        con, "select count(*) from audit.load_log where build_id = 'b2' and note like 'unchanged%'"
    ) == [(0,)]
    # and, unchanged again, the next build keeps b2's read
    assert ingest_feed(con, BOILERS, tmp_path, "b3").unchanged_since == "b2"


def test_a_changed_contract_reads_the_feed_again(tmp_path: Path, con) -> None:
    _boiler_feed(tmp_path)
    ingest_feed(con, BOILERS, tmp_path, "b1")
    con.execute("update audit.ledger_feed_reads set contract = 'an older contract'")
    assert ingest_feed(con, BOILERS, tmp_path, "b2").unchanged_since is None
    assert ingest_feed(con, BOILERS, tmp_path, "b3").unchanged_since == "b2"


def test_a_feed_without_files_stays_unread_until_a_file_arrives(tmp_path: Path, con) -> None:
    assert ingest_feed(con, BOILERS, tmp_path, "b1").unchanged_since is None
    again = ingest_feed(con, BOILERS, tmp_path, "b2")
    assert again.unchanged_since == "b1" and again.files == 0
    assert any(n.startswith("no files") for n in again.notes)
    _boiler_feed(tmp_path)
    assert ingest_feed(con, BOILERS, tmp_path, "b3").rows_read == 3
