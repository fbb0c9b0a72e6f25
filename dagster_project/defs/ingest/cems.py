"""CEMS online-monitoring packets (HJ 212) -> the CEMS lake (raw.cems_readings, raw.cems_values)
and raw.cems_device_events."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.resources import WarehouseResource


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", "cems_readings"],
            group_name="ingest",
            kinds={"parquet", "polars"},
            description="HJ 212 values as readings (one row per packet and pollutant code), "
            "Parquet files of the CEMS lake beside the warehouse.",
        ),
        dg.AssetSpec(
            ["raw", "cems_values"],
            group_name="ingest",
            kinds={"duckdb"},
            description="HJ 212 values, one row per packet value (long format): the readings "
            "unpivoted, a view.",
        ),
        dg.AssetSpec(
            ["raw", "cems_device_events"],
            group_name="ingest",
            kinds={"duckdb"},
            description="Replies, heartbeats, logger restarts and device info packets.",
        ),
    ],
    name="ingest_cems",
)
def ingest_cems_packets(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource):
    from dagster_project.hj212.ingest import ingest_cems

    sources = warehouse.sources_path()
    with warehouse_db.connect() as con:
        stats = ingest_cems(
            con,
            sources / "cems",
            sources,
            warehouse.build_id(),
            lake_dir=warehouse.lake_path(),
            extra_days=warehouse.cems_days(),
        )
    context.log.info(f"cems: {stats}")
    meta = {k: v for k, v in vars(stats).items() if isinstance(v, int | str | float)}
    meta["changed_days"] = len(stats.changed_days)
    yield dg.MaterializeResult(asset_key=["raw", "cems_readings"], metadata=meta)
    yield dg.MaterializeResult(asset_key=["raw", "cems_values"])
    yield dg.MaterializeResult(asset_key=["raw", "cems_device_events"])
