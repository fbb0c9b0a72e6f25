"""The code location loads, and the schedule and sensor do what the office relies on."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dagster_project import warehouse
from dagster_project.definitions import defs
from dagster_project.defs.automation.schedules import sources_sensor
from dagster_project.feeds.contracts import LEDGER_FEEDS


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_every_feed_has_an_ingest_asset_feeding_dbt(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for spec in LEDGER_FEEDS:
        assert f"raw/{spec.table}" in keys
    assert {"raw/cems_values", "marts/cems_hourly", "marts/monitoring_anomalies"} <= keys
    # dbt sources resolve to the ingest assets, so dbt runs after ingestion.
    cems_hourly = graph.get(dg.AssetKey(["marts", "cems_hourly"]))
    upstream = {k.to_user_string() for k in graph.get_ancestor_asset_keys(cems_hourly.key)}
    assert "raw/cems_values" in upstream


def test_nightly_schedule_runs_at_two_beijing_time(definitions: dg.Definitions) -> None:
    schedule = definitions.resolve_schedule_def("nightly_build_0200_beijing")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "nightly_build"


def test_registry_check_is_attached(definitions: dg.Definitions) -> None:
    checks = {k.name for k in definitions.resolve_asset_graph().asset_check_keys}
    assert {"registry_expectations", "cems_expectations"} <= checks


def test_sources_sensor_fires_only_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(warehouse.SOURCES_ENV, str(tmp_path))
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "enterprises.csv").write_text("enterprise_id\n")

    first = sources_sensor(dg.build_sensor_context(cursor=None))
    assert not first.run_requests and first.cursor

    same = sources_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(same, dg.SkipReason)

    (tmp_path / "boilers").mkdir()
    (tmp_path / "boilers" / "new.csv").write_text("enterprise_id,unit_id\n")
    changed = sources_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor
