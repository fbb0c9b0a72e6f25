"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project import paths, warehouse
from dagster_project.defs.transform.project import dbt_project, ensure_manifest, seed_partial_parse


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, table], so dbt sources meet the ingest assets (raw/<table>)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("schema") or "main"
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([schema, name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return dbt_resource_props.get("schema") or "dbt"


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_warehouse",
)
def dbt_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build`: models, seeds, data tests and unit tests, streamed as materializations.

    Artifacts and dbt's log go to this build's folder in the state folder (kept for the last N
    builds), never into the project."""
    target = paths.build_dir(warehouse.build_id()) / "dbt"
    seed_partial_parse(target)
    op_context = context.op_execution_context
    yield from dbt.cli(["build"], context=op_context, target_path=target).stream()
