"""The raw tables as a county/month Parquet lake: layout, row counts, idempotent re-writes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.lake.county import registry_county
from dagster_project.lake.parquet import write_lake


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema audit")
    con.execute(
        """create table raw.cems_values as
           select * from (values
               ('410883A1', timestamp '2023-11-01 00:01:00', 1.5),
               ('410883A1', timestamp '2023-12-01 00:01:00', 2.5),
               ('410883A1', null, 3.5)) t(mn, data_time, value)"""
    )
    con.execute(
        """create table raw.registry_outlets as
           select * from (values ('410883A1'), ('410883B2'), ('410825C3'), (null)) t(mn)"""
    )
    con.execute("create table raw.dustfall (period date, value double)")  # empty, has a month
    con.execute(
        "create table audit.rejected_records as select 'f.csv' as source_file, 3 as line_no"
    )
    return con


def test_tables_are_partitioned_by_county_and_month(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    written = {(t.schema, t.table): t for t in write_lake(con, lake, "410883")}
    assert written[("raw", "cems_values")].rows == 3
    assert written[("raw", "cems_values")].months == 3  # 2023-11, 2023-12 and none
    months = sorted(p.name for p in (lake / "raw/cems_values/county=410883").iterdir())
    assert months == ["month=2023-11", "month=2023-12", "month=none"]
    assert (lake / "raw/registry_outlets/county=410883/data.parquet").is_file()
    assert (lake / "audit/rejected_records/county=410883/data.parquet").is_file()
    # an empty table keeps its schema in one empty file of the month layout
    assert (lake / "raw/dustfall/county=410883/month=none/data.parquet").is_file()
    rows = con.execute(
        f"""select county, month, count(*) from read_parquet(
                '{lake}/raw/cems_values/**/*.parquet', hive_partitioning = true,
                hive_types_autocast = false)
            group by all order by all"""
    ).fetchall()
    assert rows == [("410883", "2023-11", 1), ("410883", "2023-12", 1), ("410883", "none", 1)]


def test_rewriting_a_county_replaces_only_its_files(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    write_lake(con, lake, "410883")
    write_lake(con, lake, "410825")
    con.execute("delete from raw.cems_values where data_time is null")
    write_lake(con, lake, "410883")
    counts = dict(
        con.execute(
            f"""select county, count(*) from read_parquet(
                    '{lake}/raw/cems_values/**/*.parquet', hive_partitioning = true,
                hive_types_autocast = false)
                group by 1"""
        ).fetchall()
    )
    assert counts == {"410883": 2, "410825": 3}
    assert not [p for p in (lake / "raw/cems_values").iterdir() if p.name.startswith(".")]


def test_a_column_named_like_a_partition_is_refused(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    con.execute("create table raw.activity (county varchar, period date)")
    with pytest.raises(ValueError, match="partition"):
        write_lake(con, tmp_path / "lake", "410883")


def test_a_month_column_is_kept_where_the_table_is_not_split_by_month(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    con.execute(
        "create table audit.cems_lake_files as select 'a.parquet' as path, '2023-11' as month"
    )
    written = {(t.schema, t.table): t for t in write_lake(con, tmp_path / "lake", "410883")}
    assert written[("audit", "cems_lake_files")].rows == 1
    con.execute("create table raw.manual_tests (month varchar, test_date date)")
    with pytest.raises(ValueError, match=r"\['month'\]"):
        write_lake(con, tmp_path / "lake2", "410883")


def test_county_code_comes_from_the_registry_mns(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    assert registry_county(con) == "410883"
    con.execute("delete from raw.registry_outlets")
    with pytest.raises(ValueError, match="county code"):
        registry_county(con)
