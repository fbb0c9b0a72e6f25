"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project import paths, warehouse
from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform import nightly
from dagster_project.defs.transform.project import (
    dbt_project,
    ensure_manifest,
    project_fingerprint,
    seed_partial_parse,
)
from dagster_project.operate import warmup

# The dbt project whose unit tests passed on this warehouse (a digest of its files). Unit tests
# check the models' SQL on fixed rows, never the warehouse's data: a build of a warehouse whose
# last build passed them with the same project skips them (a nightly saves ~40 % of dbt's work).
UNIT_TESTS_TABLE = "audit.dbt_unit_tests_passed"


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
def dbt_warehouse(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_db: WarehouseResource
):
    """`dbt build`: models, seeds, data tests and unit tests, streamed as materializations.
    Unit tests run unless this warehouse passed them with the same dbt project already.

    Artifacts and dbt's log go to this build's folder in the state folder (kept for the last N
    builds), never into the project."""
    target = paths.build_dir(warehouse.build_id()) / "dbt"
    seed_partial_parse(target)
    op_context = context.op_execution_context
    fingerprint = project_fingerprint()
    args = ["build"]
    if _unit_tests_passed(warehouse_db) == fingerprint:
        args += ["--exclude-resource-type", "unit_test"]
        context.log.info("unit tests skipped: this warehouse passed them with the same dbt project")
    selection = None if context.is_subset else _cems_only(warehouse_db, fingerprint)
    if selection is not None:
        # the nodes downstream of the CEMS sources, their tests with them (a relationship test
        # between a rebuilt CEMS model and a registry model left alone runs); dbt takes a named
        # selector over the selection dagster-dbt adds
        args += ["--selector", nightly.SELECTOR]
        context.log.info(
            f"only CEMS data changed since the last complete dbt build: {len(selection.skipped)} "
            "nodes not downstream of the CEMS sources are left as they are"
        )
        # before dbt's: the rebuilt models downstream of them come after them
        yield from _kept_outputs(context, selection)
    invocation = dbt.cli(args, context=op_context, target_path=target)
    # once dbt's process started (not before: dagster-dbt prepares its command and a dbt adapter
    # in this process, and the imports would hold the interpreter from it), the next steps'
    # imports while dbt runs
    warmup.warm()
    yield from invocation.stream()
    warehouse.settle_dbt_log()
    if selection is not None:
        yield from _carried_checks(context, warehouse_db, selection)
    if context.is_subset:  # a selection ran some of the unit tests at most
        return
    with warehouse_db.connect() as con:  # dbt succeeded (else it raised): its unit tests passed
        con.execute("create schema if not exists audit")
        con.execute(
            f"create or replace table {UNIT_TESTS_TABLE} as select ?::varchar as fingerprint",
            [fingerprint],
        )
        if selection is None:
            results = nightly.data_test_results(
                invocation.get_artifact("run_results.json"), invocation.manifest
            )
            nightly.remember_complete_build(con, fingerprint, results)


def _cems_only(warehouse_db: WarehouseResource, fingerprint: str) -> nightly.Selection | None:
    """The nodes to leave alone when only CEMS data changed (nightly.py), else None."""
    with warehouse_db.connect() as con:
        if not nightly.only_cems_changed(con, fingerprint):
            return None
    return nightly.cems_selection(nightly.load_manifest(ensure_manifest()))


def _kept_outputs(
    context: dg.AssetExecutionContext, selection: nightly.Selection
) -> Iterator[dg.Output]:
    """The models and seeds left alone are current (their inputs did not change): say so, so
    the assets downstream of them run."""
    for schema, name in selection.kept_relations:
        output = context.assets_def.get_output_name_for_asset_key(dg.AssetKey([schema, name]))
        if output in context.selected_output_names:
            yield dg.Output(
                None,
                output_name=output,
                metadata={"rebuilt": False, "why": "inputs unchanged since the last dbt build"},
            )


def _carried_checks(
    context: dg.AssetExecutionContext,
    warehouse_db: WarehouseResource,
    selection: nightly.Selection,
) -> Iterator[dg.AssetCheckResult]:
    """The data tests left alone report the last complete build's result, marked as not re-run:
    their models' inputs did not change, so neither can the result."""
    with warehouse_db.connect() as con:
        statuses = nightly.last_test_results(con)
    left_alone = set(selection.skipped)
    for key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
        status = statuses.get(key.name)
        if key.name not in left_alone or status not in ("pass", "warn"):
            continue  # (a complete build that ran it otherwise did not succeed)
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=status == "pass",
            severity=dg.AssetCheckSeverity.WARN
            if status == "warn"
            else dg.AssetCheckSeverity.ERROR,
            metadata={
                "re_run": False,
                "status": status,
                "why": "its model's inputs are unchanged since the last complete dbt build",
            },
        )


def _unit_tests_passed(warehouse_db: WarehouseResource) -> str | None:
    """The dbt project digest this warehouse's last build passed the unit tests with."""
    schema, table = UNIT_TESTS_TABLE.split(".")
    with warehouse_db.connect() as con:
        known = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        if not known or not known[0]:
            return None
        row = con.execute(f"select fingerprint from {UNIT_TESTS_TABLE}").fetchone()
    return str(row[0]) if row else None
