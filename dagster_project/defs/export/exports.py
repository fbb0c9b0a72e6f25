"""The provincial inventory export (xlsx with Chinese headers, CSV, Parquet, manifest)."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.resources import WarehouseResource


@dg.asset(
    key=["exports", "provincial_inventory"],
    group_name="export",
    deps=[
        ["marts", "inventory_key_industry"],
        ["marts", "emissions"],
        ["marts", "monitoring_anomalies"],
    ],
    kinds={"excel", "parquet"},
    description="lantian export for every year the inventory holds, into LANTIAN_EXPORTS "
    "(`lantian build` stages them and swaps them in with the warehouse).",
)
def provincial_inventory(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource
) -> dg.MaterializeResult:
    from dagster_project.reports import export_inventory
    from dagster_project.reports.extract import existing_columns, years_with_data

    with warehouse_db.connect() as con:
        years = years_with_data(con, existing_columns(con))
    files = 0
    for year in years:
        manifest = export_inventory(
            warehouse.warehouse_path(), int(year), warehouse.exports_path() / str(year)
        )
        files += len(getattr(manifest, "files", []) or [])
        context.log.info(f"exported {year} to {warehouse.exports_path() / str(year)}")
    return dg.MaterializeResult(metadata={"years": ", ".join(map(str, years)), "files": files})
