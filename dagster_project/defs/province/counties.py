"""Counties as Dagster partitions (from the province registry) and the `province_build` job.

`province/county_lake` is partitioned by county (dynamic partitions, added from the registry by
`sync_counties` or the `province_counties` sensor): one run ingests one county into its lake
partition. `province/marts` (unpartitioned, over every county) runs dbt on Spark and writes the
provincial export. Both read the registry named by LANTIAN_PROVINCE_REGISTRY.
"""

import os
from pathlib import Path

import dagster as dg

REGISTRY_ENV = "LANTIAN_PROVINCE_REGISTRY"
GROUP = "province"
county_partitions = dg.DynamicPartitionsDefinition(name="county")


def registry_path() -> Path:
    value = os.environ.get(REGISTRY_ENV)
    if not value:
        raise dg.Failure(f"{REGISTRY_ENV} is not set: name the province registry CSV")
    return Path(value).resolve()


def sync_counties(instance: dg.DagsterInstance) -> list[str]:
    """Make the county partitions exactly the registry's counties; the codes."""
    from dagster_project.lake.province import read_registry

    codes = [c.code for c in read_registry(registry_path())]
    known = set(instance.get_dynamic_partitions(county_partitions.name or "county"))
    stale = sorted(known - set(codes))
    for code in stale:
        instance.delete_dynamic_partition(county_partitions.name or "county", code)
    instance.add_dynamic_partitions(county_partitions.name or "county", codes)
    return codes


@dg.asset(
    key=["province", "county_lake"],
    group_name=GROUP,
    partitions_def=county_partitions,
    kinds={"parquet"},
    description="One county's raw and audit tables as its county=<code> partition of the "
    "province lake (the county ingest into a scratch DuckDB file, then Parquet).",
)
def county_lake(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dagster_project.lake.province import read_registry
    from dagster_project.province_build import ingest_county, province_home

    code = context.partition_key
    county = next((c for c in read_registry(registry_path()) if c.code == code), None)
    if county is None:
        raise dg.Failure(f"county {code} is not in the province registry")
    home = province_home()
    tables = ingest_county(county, home / "lake", home)
    cems = next((t.rows for t in tables if t.table == "cems_values"), 0)
    return dg.MaterializeResult(
        metadata={"county": county.name, "tables": len(tables), "cems_values_rows": cems}
    )


@dg.asset(
    key=["province", "marts"],
    group_name=GROUP,
    deps=[county_lake],
    kinds={"spark", "excel", "parquet"},
    description="dbt seed + run on Spark over every county of the province lake, then the "
    "provincial export with a county column.",
)
def province_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dagster_project.lake.province import read_registry
    from dagster_project.province_build import build_province_marts, province_home

    counties = read_registry(registry_path())
    home = province_home()
    removed, files, tables = build_province_marts(counties, home, home / "exports")
    totals = tables["county_totals"]
    return dg.MaterializeResult(
        metadata={
            "counties": len(counties),
            "counties_removed": ", ".join(removed) or "none",
            "county_total_rows": totals.num_rows,
            "files": len(files),
        }
    )


province_ingest = dg.define_asset_job(
    "province_ingest",
    selection=dg.AssetSelection.assets(county_lake),
    partitions_def=county_partitions,
    executor_def=dg.in_process_executor,
    description="Ingest one county (a partition) into the province lake.",
)

province_build = dg.define_asset_job(
    "province_build",
    selection=dg.AssetSelection.assets(province_marts),
    executor_def=dg.in_process_executor,
    description="dbt on Spark over every county in the province lake and the provincial export.",
)


@dg.sensor(job=province_ingest, minimum_interval_seconds=300)
def province_counties(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Counties of the registry become partitions; a new county gets its ingest run."""
    if not os.environ.get(REGISTRY_ENV):
        return dg.SkipReason(f"{REGISTRY_ENV} not set")
    known = set(context.instance.get_dynamic_partitions("county"))
    codes = sync_counties(context.instance)
    new = [c for c in codes if c not in known]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=c, run_key=f"county-{c}") for c in new]
    )
