"""Closed landing files trigger a build; open ones and the station's journal never do."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dagster_project import warehouse
from dagster_project.definitions import defs
from dagster_project.defs.automation.landing import landing_sensor
from dagster_project.defs.automation.schedules import sources_sensor


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(warehouse.SOURCES_ENV, str(tmp_path))
    monkeypatch.delenv(warehouse.LANDING_ENV, raising=False)
    root = tmp_path / "cems" / "landing"
    (root / "MN1").mkdir(parents=True)
    (root / ".station").mkdir()
    return root


def test_the_sensor_is_in_the_code_location() -> None:
    sensor = defs().resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "nightly_build"


def test_closed_files_trigger_one_run_open_files_none(landing: Path) -> None:
    (landing / "MN1" / "2024030108.log.part").write_text("##0010...\r\n")
    (landing / ".station" / "journal-2024030108-1.wal").write_text("x\n")
    assert isinstance(landing_sensor(dg.build_sensor_context(cursor=None)), dg.SkipReason)

    (landing / "MN1" / "2024030107.log").write_text("##0010...\r\n")
    first = landing_sensor(dg.build_sensor_context(cursor=None))
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.tags["lantian/trigger"] == "landing"
    assert request.tags["lantian/landing_files"] == "1"
    assert request.tags["lantian/landing_last_day"] == "20240301"

    # more packets in the open file: nothing new to ingest
    (landing / "MN1" / "2024030108.log.part").write_text("##0010...\r\n" * 2)
    again = landing_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(again, dg.SkipReason)

    (landing / "MN1" / "2024030108.log.part").rename(landing / "MN1" / "2024030108.log")
    closed = landing_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(closed, dg.SensorResult) and len(closed.run_requests) == 1
    assert closed.run_requests[0].run_key != request.run_key


def test_the_sources_sensor_leaves_the_landing_folder_alone(landing: Path) -> None:
    (landing.parent.parent / "registry").mkdir()
    (landing.parent.parent / "registry" / "outlets.csv").write_text("mn\n")
    first = sources_sensor(dg.build_sensor_context(cursor=None))
    (landing / "MN1" / "2024030108.log.part").write_text("##0010...\r\n")
    (landing / "MN1" / "2024030107.log").write_text("##0010...\r\n")
    assert isinstance(sources_sensor(dg.build_sensor_context(cursor=first.cursor)), dg.SkipReason)
