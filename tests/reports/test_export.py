"""The provincial export against a small real warehouse: contents, determinism, manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from dagster_project.reports import (
    ExportContractError,
    NoDataForYear,
    export_inventory,
    run_export_command,
)
from dagster_project.reports.catalogue import SHEETS
from tests.reports.conftest import E1, MN1, MN2

YEAR = 2023
BY_KEY = {s.key: s for s in SHEETS}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _mart_grams(warehouse: Path, year: int) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select pollutant, sum(emissions_t) from marts.emissions where year = ? group by 1",
            [year],
        ).fetchall()
    finally:
        con.close()
    return {p: round(float(t) * 1e6) for p, t in rows}


def _grams(pairs: list[tuple[str, float]]) -> dict[str, int]:
    sums: dict[str, float] = {}
    for pollutant, tonnes in pairs:
        sums[pollutant] = sums.get(pollutant, 0.0) + tonnes
    return {p: round(t * 1e6) for p, t in sums.items()}


@pytest.fixture
def exported(warehouse_file: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    export_inventory(warehouse_file, YEAR, out)
    return out


def test_exporting_twice_gives_identical_bytes(warehouse_file: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    export_inventory(warehouse_file, YEAR, first)
    time.sleep(1.1)  # anything dated "now" (to the second) would now differ
    export_inventory(warehouse_file, YEAR, second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert len(names) == 1 + 2 * len(SHEETS) + 1  # workbook, csv + parquet per sheet, manifest
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_workbook_dates_depend_neither_on_the_clock_nor_on_the_build(exported: Path) -> None:
    with zipfile.ZipFile(exported / "lantian_2023_inventory.xlsx") as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    # the latest build (b2) logged its last file at 2024-01-02 03:04:05: not in the workbook,
    # so a rebuild of the same sources exports the same bytes
    assert "<dcterms:created" in core
    assert "2024-01-02" not in core
    assert core.count("1980-01-01T00:00:00Z") == 2  # created and modified


def test_the_warehouse_file_is_not_modified(warehouse_file: Path, tmp_path: Path) -> None:
    before = _sha(warehouse_file)
    export_inventory(warehouse_file, YEAR, tmp_path / "out")
    assert _sha(warehouse_file) == before
    assert not Path(f"{warehouse_file}.wal").exists()


def test_csv_has_bom_crlf_and_round_trips_chinese(exported: Path) -> None:
    raw = (exported / "lantian_2023_emissions_summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
    rows = _csv_rows(exported / "lantian_2023_emissions_summary.csv")
    assert rows[0] == [c.header for c in BY_KEY["emissions_summary"].columns]
    assert rows[0][0] == "统一社会信用代码"
    assert rows[1][1:3] == ["孟州市示例热电有限公司", "河阳街道"]
    assert rows[1][0] == E1  # all-digit USCC kept as written
    quality = _csv_rows(exported / "lantian_2023_dq_valid_rate.csv")
    assert quality[1][2:5] == ["DA001", "1号锅炉排放口", MN1]  # leading zero of the MN kept
    assert quality[1][9:] == ["2208", "2000", "100", "8", "100", "0.95", "true"]
    assert quality[2][4] == MN2 and quality[2][-2:] == ["0.61", "false"]


def test_workbook_sheets_have_chinese_headers_and_typed_cells(exported: Path) -> None:
    book = openpyxl.load_workbook(exported / "lantian_2023_inventory.xlsx", read_only=True)
    assert book.sheetnames == [s.title for s in SHEETS]
    for sheet in SHEETS:
        header = next(book[sheet.title].iter_rows(min_row=1, max_row=1, values_only=True))
        assert list(header) == [c.header for c in sheet.columns], sheet.key
    for title in ("原辅材料及能源", "生产工艺及装备", "污染治理技术", "污染物排放"):
        assert title in book.sheetnames
    for title in ("无组织排放治理", "在线监控", "清洁运输", "排放量汇总"):
        assert title in book.sheetnames
    summary = list(book["排放量汇总"].iter_rows(min_row=2, values_only=True))
    tonnes = [r[6] for r in summary]
    assert all(isinstance(t, float | int) for t in tonnes)
    assert all(isinstance(r[0], str) for r in summary)
    assert summary[0][0] == E1
    book.close()


def test_totals_equal_the_mart_to_the_gram_in_every_format(
    warehouse_file: Path, exported: Path
) -> None:
    expected = _mart_grams(warehouse_file, YEAR)
    assert expected == {"so2": 300001, "nox": 12345678901, "voc": 3333333}

    detail = pq.read_table(exported / "lantian_2023_emissions_detail.parquet")
    parquet_pairs = list(
        zip(detail["pollutant"].to_pylist(), detail["emissions_t"].to_pylist(), strict=True)
    )
    assert _grams(parquet_pairs) == expected

    rows = _csv_rows(exported / "lantian_2023_emissions_detail.csv")
    cols = rows[0]
    p, t = cols.index("污染物"), cols.index("排放量(吨)")
    assert _grams([(r[p], float(r[t])) for r in rows[1:]]) == expected

    book = openpyxl.load_workbook(exported / "lantian_2023_inventory.xlsx", read_only=True)
    for title, (p, t) in {"排放量汇总": (3, 6), "排放量明细": (7, 13)}.items():
        cells = list(book[title].iter_rows(min_row=2, values_only=True))
        assert _grams([(r[p], float(r[t])) for r in cells]) == expected, title
    book.close()

    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    checks = {c["sheet"]: c for c in manifest["totals_check"]}
    assert set(checks) == {"emissions_detail", "emissions_summary"}
    for check in checks.values():
        assert check["ok"]
        assert {t["pollutant"]: t["mart_g"] for t in check["pollutants"]} == expected


def test_manifest_checksums_rows_and_build(exported: Path, warehouse_file: Path) -> None:
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["year"] == YEAR
    # nothing that differs between two builds of the same sources: no folder, build id or time
    assert manifest["warehouse"] == warehouse_file.name
    assert "build_id" not in manifest and "build_time" not in manifest
    assert str(warehouse_file.parent) not in json.dumps(manifest)
    assert manifest["source_files"] == [
        {"feed": "boilers", "source_file": "boilers/锅炉台账.csv", "sha256": "bb"},
        {"feed": "kilns", "source_file": "kilns/kilns.xlsx", "sha256": "cc"},
    ]
    assert manifest["source_folders"] == [  # CEMS logs by folder
        {
            "feed": "cems",
            "folder": "cems",
            "files": 1,
            "first": "cems/a.log",
            "last": "cems/a.log",
            "list_sha256": hashlib.sha256(b"cems/a.log\tdd\n").hexdigest(),
        }
    ]
    assert manifest["warnings"] == []
    for entry in manifest["files"]:
        path = exported / entry["name"]
        assert _sha(path) == entry["sha256"], entry["name"]
        assert path.stat().st_size == entry["bytes"]
        if entry["format"] == "parquet":
            assert pq.read_metadata(path).num_rows == entry["rows"]
        if entry["format"] == "csv":
            assert len(_csv_rows(path)) - 1 == entry["rows"]
    rows = {s["key"]: s["rows"] for s in manifest["sheets"]}
    assert rows["emissions_detail"] == 5
    assert rows["emissions_summary"] == 4  # E1 so2 cems, E1 nox factor, E2 so2 factor, E2 voc
    assert rows["overview"] == 2
    assert rows["action_ultra_low_exceedances"] == 1
    assert rows["action_clean_transport"] == 1
    assert rows["action_boilers"] == 1
    assert rows["action_clean_energy"] == 1
    assert rows["action_voc_clusters"] == 1


def test_rows_are_filtered_to_the_year(warehouse_file: Path, tmp_path: Path) -> None:
    manifest = export_inventory(warehouse_file, 2024, tmp_path / "out", formats=["parquet"])
    assert [f.format for f in manifest.files] == ["parquet"] * len(SHEETS)
    detail = pq.read_table(tmp_path / "out" / "lantian_2024_emissions_detail.parquet")
    assert detail["emission_id"].to_pylist() == ["m06"]
    rates = pq.read_table(tmp_path / "out" / "lantian_2024_dq_valid_rate.parquet")
    assert rates["valid_rate"].to_pylist() == [0.99]
    hours = pq.read_table(tmp_path / "out" / "lantian_2024_action_ultra_low_exceedances.parquet")
    assert [h.year for h in hours["hour_start"].to_pylist()] == [2024]


def test_parquet_keeps_english_names_types_and_chinese_headers(exported: Path) -> None:
    table = pq.read_table(exported / "lantian_2023_emissions_detail.parquet")
    sheet = BY_KEY["emissions_detail"]
    assert table.column_names == [c.name for c in sheet.columns]
    field = table.schema.field("emissions_t")
    assert str(field.type) == "double"
    assert field.metadata[b"header_zh"].decode() == "排放量(吨)"
    assert str(table.schema.field("period_month").type) == "date32[day]"


def test_missing_required_column_fails_with_a_clear_message(
    make_warehouse: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_warehouse(omit_columns={"marts.emissions": ["emissions_t"]})
    out = tmp_path / "out"
    with pytest.raises(
        ExportContractError, match=r"marts\.emissions lacks column\(s\) emissions_t"
    ):
        export_inventory(path, YEAR, out)
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_missing_table_is_skipped_with_a_warning(
    make_warehouse: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_warehouse(omit_tables=["marts.action_voc"])
    manifest = export_inventory(path, YEAR, tmp_path / "out")
    assert any("action_voc" in w and "skipped" in w for w in manifest.warnings)
    status = {s.key: s.status for s in manifest.sheets}
    assert status["action_voc"] == "skipped"
    assert status["action_kilns"] == "exported"
    assert not (tmp_path / "out" / "lantian_2023_action_voc.csv").exists()
    book = openpyxl.load_workbook(tmp_path / "out" / "lantian_2023_inventory.xlsx", read_only=True)
    assert "VOCs整治清单" not in book.sheetnames
    book.close()


def test_command_prints_a_summary_and_exits_by_outcome(
    make_warehouse: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_warehouse()
    assert run_export_command(good, YEAR, tmp_path / "a", ["csv"]) == 0
    out = capsys.readouterr().out
    assert "totals check emissions_detail: OK" in out
    assert "排放量汇总" in out
    bad = make_warehouse("bad.duckdb", omit_columns={"marts.inventory_key_industry": ["coal_t"]})
    assert run_export_command(bad, YEAR, tmp_path / "b", ["csv"]) == 1
    assert "coal_t" in capsys.readouterr().err
    assert run_export_command(good, YEAR, tmp_path / "c", ["pdf"]) == 1


def test_a_narrower_export_removes_the_earlier_files_of_that_year(
    warehouse_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_inventory(warehouse_file, YEAR, out)
    (out / "notes.txt").write_text("not ours")
    export_inventory(warehouse_file, 2024, out, formats=["csv"])  # another year: untouched
    manifest = export_inventory(warehouse_file, YEAR, out, formats=["csv"])
    ours = {p.name for p in out.iterdir() if p.name.startswith("lantian_2023_")}
    assert ours == {f.name for f in manifest.files}
    assert (out / "notes.txt").exists()
    assert (out / "lantian_2024_overview.csv").exists()


def test_a_build_file_is_recorded_under_its_published_name(
    make_warehouse: Callable[..., Path], tmp_path: Path
) -> None:
    building = make_warehouse(".warehouse.duckdb.building-20240102T030405-77")
    manifest = export_inventory(building, YEAR, tmp_path / "out", formats=["csv"])
    assert manifest.warehouse == "warehouse.duckdb"


def test_decimal_tonnes_in_the_mart_are_exported_as_doubles(
    warehouse_file: Path, tmp_path: Path
) -> None:
    con = duckdb.connect(str(warehouse_file))
    con.execute("alter table marts.emissions alter emissions_t type decimal(18, 6)")
    con.close()
    manifest = export_inventory(warehouse_file, YEAR, tmp_path / "out", formats=["parquet"])
    assert manifest.totals_ok
    detail = pq.read_table(tmp_path / "out" / "lantian_2023_emissions_detail.parquet")
    assert str(detail.schema.field("emissions_t").type) == "double"
    assert _grams(
        list(zip(detail["pollutant"].to_pylist(), detail["emissions_t"].to_pylist(), strict=True))
    ) == _mart_grams(warehouse_file, YEAR)


def test_data_quality_counts_each_current_file_once(exported: Path) -> None:
    """Files of the latest build, each with the counts and rejects of the build that parsed it:
    the unchanged CEMS file keeps b1's, the re-read ledger b2's, the vanished file none."""
    feeds = _csv_rows(exported / "lantian_2023_dq_feeds.csv")
    assert feeds[0] == ["数据源", "文件数", "读取记录数", "入库记录数", "拒收记录数"]
    assert feeds[1:] == [
        ["boilers", "1", "10", "8", "2"],
        ["cems", "1", "100", "97", "3"],
        ["kilns", "1", "4", "3", "1"],
    ]
    reasons = _csv_rows(exported / "lantian_2023_dq_rejections.csv")
    assert reasons[1:] == [
        ["boilers", "missing enterprise_id", "2", "1"],
        ["cems", "crc_mismatch", "2", "1"],
        ["cems", "truncated", "1", "1"],
        ["kilns", "bad number: capacity", "1", "1"],
    ]


def test_a_year_without_data_is_refused_and_nothing_is_written(
    warehouse_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(NoDataForYear, match=r"no data for 2022 .*years with data: 2023, 2024"):
        export_inventory(warehouse_file, 2022, out)
    assert not out.exists()
    assert run_export_command(warehouse_file, 2022, out, ["xlsx", "csv", "parquet"]) == 2
    assert "no data for 2022" in capsys.readouterr().err
    assert not out.exists()


def test_action_lists_are_filtered_to_the_year_they_were_judged_in(
    warehouse_file: Path, tmp_path: Path
) -> None:
    # every action list of the fixture is judged at 2023-12-31: none belongs to 2024's export
    export_inventory(warehouse_file, 2024, tmp_path / "out", formats=["parquet"])
    for name in ("action_boilers", "action_performance_grades", "action_kilns"):
        table = pq.read_table(tmp_path / "out" / f"lantian_2024_{name}.parquet")
        assert table.num_rows == 0, name
    boilers = pq.read_table(tmp_path / "out" / "lantian_2024_action_boilers.parquet")
    assert boilers.num_rows == 0
    export_inventory(warehouse_file, 2023, tmp_path / "out23", formats=["parquet"])
    assert pq.read_table(tmp_path / "out23" / "lantian_2023_action_boilers.parquet").num_rows == 1


def test_numbers_are_rounded_once_at_the_contract_precision(
    warehouse_file: Path, tmp_path: Path
) -> None:
    """Two builds that differ in the last bits of a double export the same bytes."""
    outs = []
    for run, noise in enumerate((-2e-15, 3e-15)):
        con = duckdb.connect(str(warehouse_file))
        con.execute(
            "update marts.emissions set emissions_t = 7.330210504 + ?, measured_t = -1e-9 "
            "where emission_id = 'm01'",
            [noise],
        )
        con.execute("update marts.cems_quarterly_valid_rate set valid_rate = 2 / 3 + ?", [noise])
        con.close()
        out = tmp_path / f"out{run}"
        manifest = export_inventory(warehouse_file, YEAR, out)
        assert manifest.totals_ok
        outs.append(out)
    for path in sorted(outs[0].iterdir()):
        assert path.read_bytes() == (outs[1] / path.name).read_bytes(), path.name
    detail = pq.read_table(outs[0] / "lantian_2023_emissions_detail.parquet").to_pylist()
    row = next(r for r in detail if r["emission_id"] == "m01")
    assert row["emissions_t"] == 7.330211  # grams
    assert str(row["measured_t"]) == "0.0"  # never -0.0
    rates = pq.read_table(outs[0] / "lantian_2023_dq_valid_rate.parquet")["valid_rate"]
    assert 0.666667 in rates.to_pylist()


def test_set_valued_text_is_exported_in_a_fixed_order(warehouse_file: Path, tmp_path: Path) -> None:
    """string_agg(distinct ...) lists come in any order; the export sorts their items."""
    exported = []
    for run, techs in enumerate(
        ("water_spray,none,low_nox_burner", "low_nox_burner,water_spray,none")
    ):
        con = duckdb.connect(str(warehouse_file))
        con.execute("update marts.inventory_key_industry set control_techs = ?", [techs])
        con.close()
        export_inventory(warehouse_file, YEAR, tmp_path / f"o{run}", formats=["csv"])
        exported.append((tmp_path / f"o{run}" / "lantian_2023_control_technology.csv").read_bytes())
    assert exported[0] == exported[1]
    assert "low_nox_burner,none,water_spray" in exported[0].decode("utf-8-sig")
