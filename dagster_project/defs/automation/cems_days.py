"""CEMS by day: a daily partition per day of monitoring data (Beijing time).

Materialising partition D runs the atomic build (build.py) with day D added to the days the CEMS
marts recompute (besides the days new packet logs touch), so a failed night is re-run as its
partition, and a backfill of a range (a year, from the UI) runs once, as one build over all its
days (single-run backfill policy). The nightly schedule materialises yesterday's partition.
"""

from datetime import timedelta

import dagster as dg

CEMS_DAYS = dg.DailyPartitionsDefinition(start_date="2023-01-01", timezone="Asia/Shanghai")
CEMS_DAY_BUILD_KEY = dg.AssetKey(["automation", "cems_day_build"])


@dg.asset(
    key=CEMS_DAY_BUILD_KEY,
    partitions_def=CEMS_DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="automation",
    description="The warehouse rebuilt atomically for these days of CEMS data: new packet logs "
    "ingested, the CEMS marts recomputed for the partition's days, everything downstream "
    "refreshed. A failed night is re-run as its partition; a backfill runs once per range.",
)
def cems_day_build(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dagster_project.build import run_build

    window = context.partition_time_window
    first, last = window.start.date(), (window.end - timedelta(seconds=1)).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    summary = run_build(instance=context.instance, cems_days=days)
    context.log.info(summary.render())
    return dg.MaterializeResult(
        metadata={
            "build_id": summary.build_id,
            "days": f"{first} .. {last} ({len(days)})",
            "seconds": round(summary.seconds, 1),
            "cems_hourly_rows": summary.tables.get("marts.cems_hourly", 0),
        }
    )


cems_day_job = dg.define_asset_job(
    "cems_day_build",
    selection=dg.AssetSelection.assets(CEMS_DAY_BUILD_KEY),
    description="The atomic build for a day (or, backfilled, a range of days) of CEMS data.",
)

nightly_schedule = dg.build_schedule_from_partitioned_job(
    cems_day_job,
    name="nightly_build_0200_beijing",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 Beijing time: yesterday's CEMS partition (the atomic build).",
)
