"""One ingest asset per ledger feed: sources/<folder>/ -> raw.<table> (+ audit rows)."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.resources import WarehouseResource
from dagster_project.feeds.contracts import LEDGER_FEEDS, FeedSpec


def _ledger_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", spec.table],
        group_name="ingest",
        description=spec.description,
        kinds={"duckdb", "polars"},
        metadata={"feed": spec.feed, "folder": f"sources/{spec.folder}"},
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse_db: WarehouseResource
    ) -> dg.MaterializeResult:
        from dagster_project.feeds.ingest import ingest_feed

        with warehouse_db.connect() as con:
            stats = ingest_feed(con, spec, warehouse.sources_path(), warehouse.build_id())
        for note in stats.notes:
            context.log.info(f"{spec.feed}: {note}")
        return dg.MaterializeResult(
            metadata={
                "files": stats.files,
                "rows_read": stats.rows_read,
                "rows_loaded": stats.rows_loaded,
                "rows_rejected": stats.rows_rejected,
                "notes": "; ".join(stats.notes),
                "unchanged_since_build": stats.unchanged_since or "",
            }
        )

    return _ingest


ledger_assets = [_ledger_asset(spec) for spec in LEDGER_FEEDS]
