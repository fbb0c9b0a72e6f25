"""The province: a registry of counties, each its own lake partition, built once on Spark.

The end-to-end test (slow: two county builds on DuckDB and one province build on Spark) checks
that each county's totals in the provincial export equal that county's own DuckDB build to the
gram. The registry and lake housekeeping are tested without Spark.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.build import run_build
from dagster_project.defs.transform.project import ensure_manifest
from dagster_project.generator.__main__ import main as generate
from dagster_project.lake import spark
from dagster_project.lake.province import RegistryError, read_registry
from dagster_project.paths import project_file
from dagster_project.province_build import (
    drop_other_counties,
    keys_shared_between_counties,
    run_province_build,
)
from tests.lake.engine_compare import keys_against_counties, mart_grains

HEADER = "county_code,county_name,sources\n"


def _registry(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "province.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_registry_resolves_sources_beside_the_file(tmp_path: Path) -> None:
    counties = read_registry(_registry(tmp_path, "410883,孟州市,mengzhou\n410825,温县,/data/wen\n"))
    assert [(c.code, c.name) for c in counties] == [("410883", "孟州市"), ("410825", "温县")]
    assert counties[0].sources == (tmp_path / "mengzhou").resolve()
    assert counties[1].sources == Path("/data/wen")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("41088,孟州市,a\n", "not six digits"),
        ("410883,孟州市,a\n410883,again,b\n", "listed twice"),
        ("410883,孟州市,\n", "no sources folder"),
        ("", "no county listed"),
    ],
)
def test_registry_rejects_bad_rows_with_the_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        read_registry(_registry(tmp_path, body))


def test_registry_needs_its_header(tmp_path: Path) -> None:
    path = tmp_path / "province.csv"
    path.write_text("code,name\n410883,孟州市\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="header"):
        read_registry(path)


def test_counties_no_longer_listed_leave_the_lake(tmp_path: Path) -> None:
    for county in ("410883", "410825", "410822"):
        part = tmp_path / "raw" / "cems_values" / f"county={county}" / "month=2023-11"
        part.mkdir(parents=True)
        (part / "data.parquet").write_bytes(b"")
    (tmp_path / "audit" / "load_log" / "county=410822").mkdir(parents=True)
    assert drop_other_counties(tmp_path, {"410883", "410825"}) == ["410822"]
    left = sorted(p.name for p in (tmp_path / "raw" / "cems_values").iterdir())
    assert left == ["county=410825", "county=410883"]
    assert not any((tmp_path / "audit" / "load_log").iterdir())


def _write_partition(lake: Path, table: str, county: str, sql: str) -> None:
    folder = lake / "raw" / table / f"county={county}"
    folder.mkdir(parents=True)
    duckdb.execute(f"copy ({sql}) to '{folder / 'data.parquet'}' (format parquet)")


def test_keys_registered_by_two_counties_are_named(tmp_path: Path) -> None:
    ents = "select * from (values ('91410883A'), ('91410883B')) as t(enterprise_id)"
    _write_partition(tmp_path, "registry_enterprises", "410883", ents)
    other = "select * from (values ('91410825C'), ('91410883B')) as t(enterprise_id)"
    _write_partition(tmp_path, "registry_enterprises", "410825", other)
    _write_partition(tmp_path, "registry_outlets", "410883", "select 'MN1' as mn")
    _write_partition(tmp_path, "registry_outlets", "410825", "select 'MN2' as mn")
    assert keys_shared_between_counties(tmp_path) == [
        "enterprise_id 91410883B (counties 410825, 410883)"
    ]
    _write_partition(tmp_path, "registry_outlets", "410822", "select 'MN1' as mn")
    assert keys_shared_between_counties(tmp_path)[-1] == "mn MN1 (counties 410822, 410883)"


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("ambient_stations", "station_code"),
        ("dustfall", "point_code"),
        ("road_dust", "road_code"),
        ("registry_enterprises", "township"),
        ("dustfall", "township"),
    ],
)
def test_ambient_keys_used_by_two_counties_are_named(tmp_path: Path, table: str, key: str) -> None:
    for county, codes in (("410801", "('410801001'), ('X')"), ("410802", "('410802001'), ('X')")):
        sql = f"select * from (values {codes}) as t({key})"
        month = "" if table == "ambient_stations" else "/month=2023-11"
        folder = tmp_path / "raw" / table / f"county={county}{month}"
        folder.mkdir(parents=True)
        duckdb.execute(f"copy ({sql}) to '{folder / 'data.parquet'}' (format parquet)")
    assert keys_shared_between_counties(tmp_path) == [f"{key} X (counties 410801, 410802)"]


def _county_totals(warehouse: Path) -> dict[tuple[int, str], float]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select year, pollutant, sum(emissions_t)::double from marts.emissions group by all"
        ).fetchall()
    finally:
        con.close()
    return {(int(y), str(p)): float(t) for y, p, t in rows}


@pytest.mark.slow
def test_two_county_province_equals_each_county_build(tmp_path: Path) -> None:
    reason = spark.missing_requirements()
    if reason:
        pytest.skip(f"province build on Spark not run: {reason}")
    counties = {"410883": ("孟州市", 7), "410825": ("温县", 8)}
    for code, (_, seed) in counties.items():
        args = ["--out", str(tmp_path / code), "--seed", str(seed), "--start", "2023-11-01"]
        args += ["--county-code", code]
        assert generate([*args, "--days", "2", "--enterprises", "6"]) == 0
    registry = _registry(tmp_path, "".join(f"{c},{n},{c}\n" for c, (n, _) in counties.items()))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LANTIAN_SPARK_CODEGEN", "false")
        env.setenv("LANTIAN_SPARK_ADAPTIVE", "false")
        env.setenv("LANTIAN_SPARK_SHUFFLE_PARTITIONS", "1")
        summary = run_province_build(registry, tmp_path / "out", home=tmp_path / "province")
    assert [c.code for c in summary.counties] == list(counties)
    for code in counties:
        assert (summary.lake / "raw" / "cems_values" / f"county={code}").is_dir()
    assert {p.name for p in summary.exports} >= {
        "lantian_province.xlsx",
        "lantian_province_county_totals.csv",
        "lantian_province_county_totals.parquet",
    }
    exported = (
        duckdb.connect()
        .execute(
            f"""select county_code, year, pollutant, emissions_t, county_name
            from read_parquet('{tmp_path / "out" / "lantian_province_county_totals.parquet"}')"""
        )
        .fetchall()
    )
    assert {r[0] for r in exported} == set(counties)
    assert all(r[4] == counties[r[0]][0] for r in exported)
    for code in counties:
        warehouse = tmp_path / f"{code}.duckdb"
        run_build(tmp_path / code, warehouse, tmp_path / f"{code}-exports")
        own = _county_totals(warehouse)
        in_province = {(int(y), str(p)): float(t) for c, y, p, t, _ in exported if c == code}
        assert in_province.keys() == own.keys()
        for key, tonnes in own.items():
            assert round(in_province[key], 6) == round(tonnes, 6), (code, key)
    # no ambient or dust-fall mart row merges two counties: the province's rows are the
    # counties' rows, grain key for grain key (stations, townships, points and hotspot
    # neighbourhoods stay within their county)
    grains = mart_grains(ensure_manifest())
    warehouses = [tmp_path / f"{code}.duckdb" for code in counties]
    marts = tmp_path / "province" / "spark-warehouse" / "marts.db"
    ambient = sorted(p.stem for p in (project_file("dbt") / "models/marts/ambient").glob("*.sql"))
    assert len(ambient) >= 9
    for mart in ambient:
        rows, only_province, only_counties = keys_against_counties(
            warehouses, marts, mart, grains[mart]
        )
        assert (only_province, only_counties) == (0, 0), (mart, rows)


def test_registry_counties_become_the_county_partitions(tmp_path: Path) -> None:
    import dagster as dg

    from dagster_project.defs.province.counties import REGISTRY_ENV, sync_counties

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("county", ["410822"])  # a county since dropped
    registry = _registry(tmp_path, "410883,孟州市,a\n410825,温县,b\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(REGISTRY_ENV, str(registry))
        assert sync_counties(instance) == ["410883", "410825"]
    assert sorted(instance.get_dynamic_partitions("county")) == ["410825", "410883"]


def test_province_jobs_stand_apart_from_the_county_build() -> None:
    from dagster_project.definitions import defs

    definitions = defs()

    def keys(job: str) -> set[str]:
        layer = definitions.resolve_job_def(job).asset_layer
        return {k.to_user_string() for k in layer.executable_asset_keys}

    assert keys("province_ingest") == {"province/county_lake"}
    assert keys("province_build") == {"province/marts"}
    assert not any(k.startswith("province/") for k in keys("build_all_assets"))
    partitions = definitions.resolve_job_def("province_ingest").partitions_def
    assert getattr(partitions, "name", None) == "county"


@pytest.mark.slow
def test_province_assets_materialise_through_dagster(tmp_path: Path) -> None:
    """What the UI runs: the county partitions from the registry, each county's lake partition,
    then the marts on Spark and the export; its totals equal the county's own DuckDB build."""
    import dagster as dg

    from dagster_project.defs.province.counties import (
        REGISTRY_ENV,
        county_lake,
        province_marts,
        sync_counties,
    )
    from dagster_project.province_build import PROVINCE_HOME_ENV

    reason = spark.missing_requirements()
    if reason:
        pytest.skip(f"province build on Spark not run: {reason}")
    args = ["--out", str(tmp_path / "410883"), "--seed", "7", "--start", "2023-11-01"]
    assert generate([*args, "--days", "2", "--enterprises", "6"]) == 0
    registry = _registry(tmp_path, "410883,孟州市,410883\n")
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as env:
        env.setenv(REGISTRY_ENV, str(registry))
        env.setenv(PROVINCE_HOME_ENV, str(tmp_path / "province"))
        env.setenv("LANTIAN_SPARK_CODEGEN", "false")
        env.setenv("LANTIAN_SPARK_ADAPTIVE", "false")
        env.setenv("LANTIAN_SPARK_SHUFFLE_PARTITIONS", "1")
        assert sync_counties(instance) == ["410883"]
        ingest = dg.materialize([county_lake], instance=instance, partition_key="410883")
        assert ingest.success
        build = dg.materialize([province_marts], instance=instance)
        assert build.success
    meta = build.asset_materializations_for_node(province_marts.op.name)[0].metadata
    assert meta["counties"].value == 1
    exported = (
        duckdb.connect()
        .execute(
            "select year, pollutant, emissions_t from read_parquet("
            f"'{tmp_path / 'province' / 'exports' / 'lantian_province_county_totals.parquet'}')"
        )
        .fetchall()
    )
    run_build(tmp_path / "410883", tmp_path / "own.duckdb", tmp_path / "own-exports")
    own = _county_totals(tmp_path / "own.duckdb")
    assert {(int(y), str(p)): round(float(t), 6) for y, p, t in exported} == {
        k: round(v, 6) for k, v in own.items()
    }
