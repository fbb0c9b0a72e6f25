"""The same small county built by dbt on DuckDB and on a local Spark session gives the same marts.

One module-scoped build: a generated county of a few days (the Spark session's cost is per
model, not per row), its DuckDB build, then what `lantian build --engine spark` runs: the
ingest into the county's Parquet lake partition, `dbt seed` and `dbt run` on Spark over the
lake. Skipped, with the reason, without Java or the `spark` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.build import run_build
from dagster_project.defs.transform.project import ensure_manifest
from dagster_project.generator.__main__ import main as generate
from dagster_project.lake import spark
from dagster_project.spark_build import SparkBuildSummary, run_spark_build
from tests.lake.engine_compare import MartDiff, compare, mart_grains, totals


@pytest.fixture(scope="module")
def both_engines(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[MartDiff], SparkBuildSummary, Path]]:
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
    home = root / "spark"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(spark.SPARK_HOME_ENV, str(home))
        env.setenv(spark.LAKE_ENV, str(root / "lake"))
        # a few days of one county: tiny tables, where Spark's code generation and adaptive
        # planning cost more than they save
        env.setenv("LANTIAN_SPARK_CODEGEN", "false")
        env.setenv("LANTIAN_SPARK_ADAPTIVE", "false")
        env.setenv("LANTIAN_SPARK_SHUFFLE_PARTITIONS", "1")
        summary = run_spark_build(sources)  # what `lantian build --engine spark` runs
    grains = mart_grains(ensure_manifest())
    yield compare(warehouse, home / "spark-warehouse" / "marts.db", grains), summary, root


def test_every_mart_has_the_same_rows_and_keys(both_engines) -> None:
    diffs, _, _ = both_engines
    assert len(diffs) >= 25
    for d in diffs:
        assert d.duckdb_rows == d.spark_rows, d
        # marts without a grain test (action_kilns, action_voc) are compared by row count only
        assert (d.keys_only_in_duckdb, d.keys_only_in_spark) == (0, 0), d
    assert sum(1 for d in diffs if d.keys) >= 25
    assert sum(d.duckdb_rows for d in diffs if d.table == "emissions") > 0


def test_emission_tonnes_agree_to_the_gram(both_engines) -> None:
    """Every tonnes column of every mart, row by row and in total, equal to the gram."""
    diffs, _, _ = both_engines
    compared = 0
    for d in diffs:
        for column, (duck, spark_total, differing, largest) in d.tonnes.items():
            compared += 1
            assert differing == 0, (d.table, column, differing, largest)
            assert duck == spark_total, (d.table, column, duck, spark_total)
    assert compared >= 20


@pytest.mark.parametrize("by", [["pollutant"], ["enterprise_id", "pollutant"]])
def test_emission_totals_per_pollutant_and_enterprise(both_engines, by) -> None:
    _, _, root = both_engines
    for column in ("emissions_t", "emissions_low_t", "emissions_high_t"):
        assert (
            totals(
                root / "warehouse.duckdb",
                root / "spark" / "spark-warehouse" / "marts.db",
                "emissions",
                by,
                column,
            )
            == []
        )


def test_spark_build_writes_the_county_lake_and_reports_the_marts(both_engines) -> None:
    diffs, summary, _ = both_engines
    assert summary.county.isdigit() and len(summary.county) == 6
    lake = {f"{t.schema}.{t.table}": t for t in summary.lake_tables}
    assert lake["raw.cems_values"].rows > 0 and lake["raw.cems_values"].months >= 1
    assert (summary.lake / "raw" / "cems_values" / f"county={summary.county}").is_dir()
    assert summary.marts == {d.table: d.spark_rows for d in diffs}
