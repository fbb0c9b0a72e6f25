"""The overview page of every build: exports/reports/overview.html beside anomalies.html."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.resources import WarehouseResource


@dg.asset(
    key=["exports", "overview_report"],
    group_name="export",
    deps=[
        ["marts", "emissions"],
        ["marts", "air_quality_rankings"],
        ["marts", "dustfall_exceedances"],
        ["marts", "air_quality_hotspots"],
        ["marts", "cems_quarterly_valid_rate"],
        ["marts", "monitoring_anomalies"],
        ["marts", "action_boilers"],
        ["marts", "action_kilns"],
        ["marts", "action_voc"],
        ["marts", "action_clean_transport"],
        ["marts", "action_ammonia_slip"],
        ["marts", "action_performance_grades"],
        ["marts", "action_ultra_low_exceedances"],
    ],
    kinds={"html"},
    description="Self-contained HTML overview (charts inline, opens offline): emissions by "
    "pollutant, method, township, industry and month, top emitters, action lists, township "
    "rankings, dust-fall, hotspots and CEMS valid-data rates.",
)
def overview_report(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource
) -> dg.MaterializeResult:
    from dagster_project.reports.overview import write_overview

    path = warehouse.exports_path() / "reports" / "overview.html"
    with warehouse_db.connect(read_only=True) as con:
        write_overview(con, path, warehouse.build_id())
    context.log.info(f"overview written to {path}")
    return dg.MaterializeResult(metadata={"report": str(path)})
