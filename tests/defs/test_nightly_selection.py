"""Which dbt nodes a CEMS-only nightly leaves alone, and when a build may do so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.transform import nightly
from dagster_project.defs.transform.project import (
    DBT_DIR,
    dbt_env,
    dbt_executable,
    ensure_manifest,
    seed_partial_parse,
)
from dagster_project.feeds import unchanged
from dagster_project.feeds.contracts import BOILERS, REGISTRY_OUTLETS


def _node(kind: str, name: str, schema: str = "marts") -> dict:
    return {"resource_type": kind, "name": name, "schema": schema}


def _manifest(edges: dict[str, list[str]], nodes: dict[str, dict]) -> dict:
    parents: dict[str, list[str]] = {uid: [] for uid in nodes}
    for parent, children in edges.items():
        for child in children:
            parents.setdefault(child, []).append(parent)
    return {
        "nodes": nodes,
        "sources": {
            "source.lantian.raw.cems_readings": {},
            "source.lantian.raw.boilers": {},
        },
        "child_map": edges,
        "parent_map": parents,
    }


MANIFEST = _manifest(
    {
        "source.lantian.raw.cems_readings": ["model.lantian.stg_cems__readings"],
        "source.lantian.raw.boilers": ["model.lantian.stg_ledgers__boilers"],
        "model.lantian.stg_cems__readings": ["model.lantian.cems_hourly"],
        "model.lantian.stg_ledgers__boilers": [
            "model.lantian.int_units",
            "test.lantian.not_null_boilers",
        ],
        "model.lantian.int_units": ["model.lantian.emissions", "model.lantian.boiler_list"],
        "model.lantian.cems_hourly": ["model.lantian.emissions", "test.lantian.unique_hours"],
        "seed.lantian.factors": ["model.lantian.int_units"],
    },
    {
        "model.lantian.stg_cems__readings": _node("model", "stg_cems__readings", "staging"),
        "model.lantian.stg_ledgers__boilers": _node("model", "stg_ledgers__boilers", "staging"),
        "model.lantian.cems_hourly": _node("model", "cems_hourly"),
        "model.lantian.int_units": _node("model", "int_units", "intermediate"),
        "model.lantian.emissions": _node("model", "emissions"),
        "model.lantian.boiler_list": _node("model", "boiler_list"),
        "test.lantian.not_null_boilers": _node("test", "not_null_boilers"),
        "test.lantian.unique_hours": _node("test", "unique_hours"),
        "seed.lantian.factors": _node("seed", "factors", "seeds"),
    },
)


def test_everything_not_downstream_of_a_cems_source_is_left_alone() -> None:
    selection = nightly.cems_selection(MANIFEST)
    assert selection is not None
    assert selection.skipped == [
        "boiler_list",
        "factors",
        "int_units",
        "not_null_boilers",
        "stg_ledgers__boilers",
    ]
    kept = selection.kept_relations
    assert sorted(kept) == sorted(
        [
            ("marts", "boiler_list"),
            ("seeds", "factors"),
            ("intermediate", "int_units"),
            ("staging", "stg_ledgers__boilers"),
        ]
    )
    # parents before children: Dagster takes them in dependency order
    assert kept.index(("staging", "stg_ledgers__boilers")) < kept.index(
        ("intermediate", "int_units")
    )
    assert kept.index(("seeds", "factors")) < kept.index(("intermediate", "int_units"))
    assert kept.index(("intermediate", "int_units")) < kept.index(("marts", "boiler_list"))


def test_a_name_shared_by_a_kept_and_a_rebuilt_node_runs_everything() -> None:
    nodes = dict(MANIFEST["nodes"])
    nodes["test.lantian.not_null_boilers"] = _node("test", "cems_hourly")
    assert nightly.cems_selection({**MANIFEST, "nodes": nodes}) is None


def test_the_nightly_selector_names_the_nodes_not_left_alone(tmp_path: Path) -> None:
    """dbt resolves the named selector of dbt/selectors.yml to exactly the project's nodes that
    `cems_selection` does not leave alone (the ones downstream of a CEMS source)."""
    manifest = nightly.load_manifest(ensure_manifest())
    selection = nightly.cems_selection(manifest)
    assert selection is not None
    runnable = {
        n["name"] for n in manifest["nodes"].values() if n["resource_type"] in nightly.RUNNABLE
    }
    seed_partial_parse(tmp_path)
    listed = subprocess.run(
        [str(dbt_executable()), "ls", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
        + ["--target-path", str(tmp_path), "--log-path", str(tmp_path), "--quiet"]
        + ["--selector", nightly.SELECTOR, "--output", "name"]
        + [a for kind in nightly.RUNNABLE for a in ("--resource-type", kind)],
        env=dbt_env(),
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert len(listed) == len(set(listed))
    assert set(listed) == runnable - set(selection.skipped)
    assert {"cems_hourly", "emissions"} <= set(listed)  # a CEMS mart and what it feeds
    assert "stg_ledgers__boilers" not in listed


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("create schema audit")
    yield connection
    connection.close()


def _read(con: duckdb.DuckDBPyConnection, build_id: str) -> None:
    for spec in (BOILERS, REGISTRY_OUTLETS):
        unchanged.record(con, spec, build_id, [], {})


def test_only_a_complete_build_on_the_same_ledger_reads_and_project_allows_it(
    con, monkeypatch
) -> None:
    _read(con, "b1")
    assert not nightly.only_cems_changed(con, "project-1")  # no complete build yet
    nightly.remember_complete_build(con, "project-1")
    assert nightly.only_cems_changed(con, "project-1")
    assert not nightly.only_cems_changed(con, "project-2")  # the dbt project changed
    monkeypatch.setenv("LANTIAN_DBT_TARGET", "spark")
    assert not nightly.only_cems_changed(con, "project-1")
    monkeypatch.delenv("LANTIAN_DBT_TARGET")
    unchanged.record(con, BOILERS, "b2", [], {})  # a ledger feed read again since
    assert not nightly.only_cems_changed(con, "project-1")
    nightly.remember_complete_build(con, "project-1")
    assert nightly.only_cems_changed(con, "project-1")


def test_a_complete_build_keeps_its_data_test_results_for_the_tests_a_nightly_leaves_alone(
    con,
) -> None:
    manifest = {
        "nodes": {
            "test.lantian.not_null_boilers.1a": _node("test", "not_null_boilers"),
            "test.lantian.unique_hours.2b": _node("test", "unique_hours"),
            "model.lantian.int_units": _node("model", "int_units"),
        }
    }
    run_results = {
        "results": [
            {"unique_id": "test.lantian.not_null_boilers.1a", "status": "pass"},
            {"unique_id": "test.lantian.unique_hours.2b", "status": "warn"},
            {"unique_id": "model.lantian.int_units", "status": "success"},
            {"unique_id": "unit_test.lantian.int_units.u", "status": "pass"},
        ]
    }
    results = nightly.data_test_results(run_results, manifest)
    assert sorted(results) == [("not_null_boilers", "pass"), ("unique_hours", "warn")]
    assert nightly.last_test_results(con) == {}  # no complete build yet
    nightly.remember_complete_build(con, "project-1", results)
    assert nightly.last_test_results(con) == {"not_null_boilers": "pass", "unique_hours": "warn"}
    # a name run twice cannot be told apart: not carried
    nightly.remember_complete_build(con, "project-1", [*results, ("unique_hours", "pass")])
    assert nightly.last_test_results(con) == {"not_null_boilers": "pass"}
    # the next complete build replaces them
    nightly.remember_complete_build(con, "project-1", [("not_null_boilers", "warn")])
    assert nightly.last_test_results(con) == {"not_null_boilers": "warn"}
