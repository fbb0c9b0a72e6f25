"""The code location loads, and the schedule and sensor do what the office relies on."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    assert "raw/cems_readings" in upstream


def test_nightly_schedule_runs_yesterdays_cems_partition_at_two_beijing_time(
    definitions: dg.Definitions,
) -> None:
    schedule = definitions.resolve_schedule_def("nightly_build_0200_beijing")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "cems_day_build"
    at = datetime(2023, 12, 2, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    request = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=at))
    assert [r.partition_key for r in request.run_requests] == ["2023-12-01"]


def test_a_cems_day_partition_runs_the_build_for_its_days(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster_project.build as build
    from dagster_project.defs.automation.cems_days import cems_day_build

    asked: list = []

    class Summary:
        build_id, seconds, tables = "b1", 1.0, {}

        def render(self) -> str:
            return ""

    monkeypatch.setattr(build, "run_build", lambda **kw: asked.append(kw["cems_days"]) or Summary())
    dg.materialize([cems_day_build], partition_key="2023-12-01")
    assert asked == [[date(2023, 12, 1)]]
    asked.clear()  # a backfill of a range is one build over all its days
    dg.materialize(
        [cems_day_build],
        tags={
            "dagster/asset_partition_range_start": "2023-11-29",
            "dagster/asset_partition_range_end": "2023-12-01",
        },
    )
    assert asked == [[date(2023, 11, 29), date(2023, 11, 30), date(2023, 12, 1)]]


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
