"""`lantian query`: read-only for the warehouse and closed to the rest of the machine."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.cli import main

HOSTILE = '=HYPERLINK("http://x","点击")'


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.emissions as select range as n, 'E' || range as enterprise_id "
        "from range(250)"
    )
    con.execute(f"insert into marts.emissions values (999, '{HOSTILE.replace(chr(39), '')}')")
    con.close()
    (tmp_path / "other.duckdb").unlink(missing_ok=True)
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    other.execute("create table t as select 1 as x")
    other.close()
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "attach '{dir}/other.duckdb' as v (READ_WRITE); drop table v.t",
        "copy (select 1) to '{dir}/stolen.csv'",
        "export database '{dir}/dump'",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('{dir}/other.duckdb')",
        "install httpfs",
        "set enable_external_access = true",
        "create table marts.x as select 1",
    ],
)
def test_statements_that_reach_outside_or_write_are_refused(
    warehouse: Path, sql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = warehouse.parent
    before = sorted(p.name for p in folder.iterdir())
    code = main(["query", sql.format(dir=folder), "--warehouse", str(warehouse)])
    assert code == 1
    assert "query failed" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == before
    other = duckdb.connect(str(folder / "other.duckdb"), read_only=True)
    assert other.execute("select count(*) from t").fetchone() == (1,)
    other.close()


def test_every_statement_result_is_printed(
    warehouse: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sql = "select 41 + 1 as answer; select count(*) as rows_ from marts.emissions"
    assert main(["query", sql, "--warehouse", str(warehouse)]) == 0
    out = capfd.readouterr().out
    assert "-- result 1" in out and "-- result 2" in out
    assert "42" in out and "251" in out


def test_long_results_say_how_to_get_every_row(
    warehouse: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "select * from marts.emissions", "--warehouse", str(warehouse)]) == 0
    assert "251 rows, 100 shown" in capfd.readouterr().out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_writes_every_row(warehouse: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"result{suffix}"
    sql = "select n, enterprise_id from marts.emissions order by n"
    assert main(["query", sql, "--out", str(out), "--warehouse", str(warehouse)]) == 0
    if suffix == ".parquet":
        table = pq.read_table(out)
        assert table.num_rows == 251
        assert table["enterprise_id"].to_pylist()[-1] == HOSTILE.replace("'", "")
    else:
        rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
        assert rows[0] == ["n", "enterprise_id"] and len(rows) == 252
        assert rows[-1] == ["999", "'" + HOSTILE.replace("'", "")]  # neutralised for Excel


def test_out_needs_one_statement_and_a_known_suffix(warehouse: Path, tmp_path: Path) -> None:
    args = ["--warehouse", str(warehouse)]
    assert main(["query", "select 1; select 2", "--out", str(tmp_path / "a.csv"), *args]) == 2
    assert main(["query", "select 1", "--out", str(tmp_path / "a.xlsx"), *args]) == 2
    assert not list(tmp_path.glob("a.*"))
