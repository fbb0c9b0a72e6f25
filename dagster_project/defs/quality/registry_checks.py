"""The registry great-expectations suite as a Dagster asset check on raw.registry_enterprises."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.quality.gx_results import check_result_from_suites
from dagster_project.defs.resources import WarehouseResource


@dg.asset_check(
    asset=["raw", "registry_enterprises"],
    name="registry_expectations",
    description="great-expectations suite expectations/registry.json: keys, USCC check digits, "
    "townships, performance grades, coordinates, outlet MN and reference O2. Not run again "
    "while no ledger feed was read again: the last result stands (re_run false).",
    additional_deps=[["raw", "registry_outlets"]],
)
def registry_expectations(warehouse_db: WarehouseResource) -> dg.AssetCheckResult:
    from dagster_project.quality import suite_memo
    from dagster_project.quality.gx_runner import REGISTRY_SUITE, run_registry_suite

    with warehouse_db.connect(read_only=False) as con:
        results, re_run = suite_memo.validated(
            con, REGISTRY_SUITE, run_registry_suite, warehouse.build_id()
        )
    return check_result_from_suites(results, re_run=re_run)
