"""The same small county built by dbt on DuckDB and on a local Spark session gives the same marts.

One module-scoped build: a generated county of a few days (the Spark session's cost is per
model, not per row), its DuckDB build, the raw tables written to the Parquet lake, then
`dbt seed` and `dbt run` on Spark over the lake. Skipped, with the reason, without Java or
the `spark` extra.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from dagster_project.build import run_build
from dagster_project.defs.transform.project import ensure_manifest
from dagster_project.generator.__main__ import main as generate
from dagster_project.lake import spark
from dagster_project.lake.county import registry_county
from dagster_project.lake.parquet import write_lake
from tests.lake.engine_compare import GRAM_T, MartDiff, compare, mart_grains


@pytest.fixture(scope="module")
def both_engines(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[MartDiff], str]]:
    reason = spark.missing_requirements()
    if reason:
        pytest.skip(f"DuckDB-vs-Spark equality not run: {reason}")
    root = tmp_path_factory.mktemp("engines")
    sources = root / "county"
    assert (
        generate(
            [
                "--out",
                str(sources),
                "--seed",
                "7",
                "--start",
                "2023-11-01",
                "--days",
                "3",
                "--enterprises",
                "12",
            ]
        )
        == 0
    )
    warehouse = root / "warehouse.duckdb"
    run_build(sources, warehouse, root / "exports")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        county = registry_county(con)
        write_lake(con, root / "lake", county)
    finally:
        con.close()
    home = root / "spark"
    # a few days of one county: tiny tables, where Spark's code generation and adaptive
    # planning cost more than they save
    small = {
        "LANTIAN_SPARK_CODEGEN": "false",
        "LANTIAN_SPARK_ADAPTIVE": "false",
        "LANTIAN_SPARK_SHUFFLE_PARTITIONS": "1",
    }
    spark.run_dbt(["seed"], lake=root / "lake", home=home, settings=small)
    spark.run_dbt(["run"], lake=root / "lake", home=home, settings=small)
    grains = mart_grains(ensure_manifest())
    yield compare(warehouse, home / "spark-warehouse" / "marts.db", grains), county


def test_every_mart_has_the_same_rows_and_keys(both_engines) -> None:
    diffs, _ = both_engines
    assert len(diffs) >= 25
    for d in diffs:
        assert d.duckdb_rows == d.spark_rows, d
        assert d.keys, f"{d.table}: no grain test to compare keys by"
        assert (d.keys_only_in_duckdb, d.keys_only_in_spark) == (0, 0), d
    assert sum(d.duckdb_rows for d in diffs if d.table == "emissions") > 0


def test_emission_tonnes_agree_to_the_gram(both_engines) -> None:
    diffs, _ = both_engines
    compared = 0
    for d in diffs:
        for column, (duck, spark_total, differing, largest) in d.tonnes.items():
            compared += 1
            # a row may differ only where a value sits on a half gram: each engine rounds the
            # same double to 6 decimals on its side of the tie (DuckDB exactly, Spark by its
            # shortest decimal text), so one gram per such row at most
            assert largest <= GRAM_T * 1.000001, (d.table, column, largest)
            assert abs(duck - spark_total) <= GRAM_T * (differing + 1e-6), (d.table, column)
    assert compared >= 20


def test_lake_is_partitioned_by_the_registry_county(both_engines) -> None:
    _, county = both_engines
    assert county.isdigit() and len(county) == 6
