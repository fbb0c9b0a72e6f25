"""Abnormal and falsified monitoring data: detectors after dbt, findings into the warehouse."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.quality.gx_results import check_result_from_suites
from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.project import DBT_DIR

ANOMALIES_KEY = dg.AssetKey(["marts", "monitoring_anomalies"])
CEMS_HOURLY_KEY = dg.AssetKey(["marts", "cems_hourly"])
# The SQL detectors are dbt models; the Python step unions their findings, so it runs after them.
SQL_DETECTOR_KEYS = [
    dg.AssetKey(["intermediate", path.stem])
    for path in sorted(
        (DBT_DIR / "models" / "intermediate" / "anomalies").glob("int_anomalies__*.sql")
    )
]


@dg.asset(
    key=ANOMALIES_KEY,
    group_name="quality",
    deps=[CEMS_HOURLY_KEY, *SQL_DETECTOR_KEYS],
    kinds={"duckdb", "polars"},
    description="One row per finding of the abnormal/falsified-data detectors, with evidence and "
    "rule basis; also marts.anomaly_risk_ranking and the inspector's HTML report.",
)
def monitoring_anomalies(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource
) -> dg.MaterializeResult:
    from dagster_project.detectors import detect_and_store

    report_dir = warehouse.exports_path() / "reports"
    with warehouse_db.connect() as con:
        summary = detect_and_store(con, warehouse.build_id(), report_dir)
    by_type = dict(getattr(summary, "by_type", {}) or {})
    context.log.info(f"anomalies by type: {by_type}")
    timed = sorted(summary.detector_seconds.items(), key=lambda kv: -kv[1])
    context.log.info("detector seconds: " + ", ".join(f"{k} {v:.1f} s" for k, v in timed))
    context.log.info(
        f"month windows: {summary.windows_judged} judged, {summary.windows_kept} kept from the "
        "last build (inputs unchanged)"
    )
    return dg.MaterializeResult(
        metadata={
            "findings": int(sum(by_type.values())),
            "by_type": dg.MetadataValue.json(by_type),
            "report": str(report_dir / "anomalies.html"),
            "month_windows_judged": summary.windows_judged,
            "month_windows_kept": summary.windows_kept,
            "detector_seconds": dg.MetadataValue.json(
                {k: round(v, 2) for k, v in summary.detector_seconds.items()}
            ),
        }
    )


@dg.asset_check(
    asset=CEMS_HOURLY_KEY,
    name="cems_expectations",
    description="great-expectations suites expectations/cems_*.json: "
    "ranges, flags, validity, limits.",
)
def cems_expectations(warehouse_db: WarehouseResource) -> dg.AssetCheckResult:
    from dagster_project.detectors import run_cems_suites

    with warehouse_db.connect() as con:
        results = run_cems_suites(con, warehouse.build_id())
    return check_result_from_suites(results)
