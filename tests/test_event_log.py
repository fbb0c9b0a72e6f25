"""The event log that keeps connections open stores what Dagster's own SQLite storage reads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqlEventLogStorageTable, SqliteEventLogStorage

from dagster_project.dagster_home import DAGSTER_YAML, ensure_dagster_home
from dagster_project.operate import event_log
from dagster_project.operate.event_log import KeptConnectionEventLogStorage


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return ensure_dagster_home()


@pytest.fixture
def instance(home: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.get() as inst:
        yield inst


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="reading")])
def reading() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"rows": 3}, check_results=[dg.AssetCheckResult(passed=True)]
    )


def test_a_run_is_read_back_by_dagsters_own_sqlite_storage(
    home: Path, instance: dg.DagsterInstance
) -> None:
    assert isinstance(instance.event_log_storage, KeptConnectionEventLogStorage)
    result = dg.materialize([reading], instance=instance)
    assert result.success
    instance.dispose()

    # Dagster's default storage over the same files (another process, an older home)
    plain = SqliteEventLogStorage(os.path.join(home, "history", "runs"))
    try:
        logs = plain.get_logs_for_run(result.run_id)
        kinds = {e.dagster_event.event_type for e in logs if e.dagster_event}
        done = {
            dg.DagsterEventType.ASSET_MATERIALIZATION,
            dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            dg.DagsterEventType.RUN_SUCCESS,
        }
        assert done <= kinds
        latest = plain.get_latest_materialization_events([dg.AssetKey("reading")])
        record = latest[dg.AssetKey("reading")]
        assert record is not None and record.run_id == result.run_id
        checks = plain.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("reading"), "positive"), limit=5
        )
        assert [c.run_id for c in checks] == [result.run_id]
    finally:
        plain.dispose()


def test_connections_stay_bounded_and_close_on_wipe(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "KEEP_OPEN", 3)
    storage = instance.event_log_storage
    assert isinstance(storage, KeptConnectionEventLogStorage)
    for n in range(6):
        with storage.run_connection(f"run{n}") as conn:
            conn.execute(SqlEventLogStorageTable.select())
    assert list(storage._engines) == ["run3", "run4", "run5"]  # the most recently used
    storage.wipe()
    assert set(storage._engines) <= {"index"}  # the index is emptied through its connection
    assert storage.get_logs_for_run("run5") == []


def test_the_home_gets_the_storage_an_edited_configuration_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(earlier))
    ensure_dagster_home()
    assert (earlier / "dagster.yaml").read_text() == DAGSTER_YAML

    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    monkeypatch.setenv("DAGSTER_HOME", str(edited))
    ensure_dagster_home()
    assert (edited / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"
