"""A nightly's dbt work: when only CEMS logs arrived, only what the CEMS data feeds is rebuilt.

A dbt node whose inputs did not change since it was last built cannot change: every model that
does not descend from a CEMS source (raw.cems_*) reads only the ledger feeds' raw tables and the
seeds. So when
* this warehouse's last complete dbt build ran with the same dbt project (models, seeds, macros,
  vars: the project digest), and
* every ledger feed is as that build found it (no feed read again since: feeds/unchanged.py),
the build runs the nodes downstream of the CEMS sources (the day-incremental CEMS models and
everything built on them, with their data tests) and leaves the rest as they are. Any other
build (a first or full build, a ledger change, a project change, a Dagster subset, Spark) runs
everything. What the complete build found is kept in audit.dbt_complete_build, and the result
of each of its data tests in audit.dbt_test_results: a test left alone reports that result again
(its model's inputs did not change, so neither can it), marked as not re-run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.feeds import unchanged
from dagster_project.lake.spark import TARGET_ENV

COMPLETE_TABLE = "audit.dbt_complete_build"
TEST_RESULTS_TABLE = "audit.dbt_test_results"
CEMS_SOURCE_PREFIX = "source.lantian.raw.cems_"
# dbt/selectors.yml: the same nodes as `cems_selection` runs, named for dbt in one expression
# (dbt resolves it in a fraction of the time it takes to exclude ~300 nodes by name)
SELECTOR = "cems_nightly"
RUNNABLE = ("model", "seed", "test", "snapshot")


@dataclass(frozen=True)
class Selection:
    """The nodes a CEMS-only nightly leaves alone: names for `dbt build --exclude`, and the
    models and seeds among them (their assets stay as the last build left them)."""

    skipped: list[str]
    kept_relations: list[tuple[str, str]]  # (schema, name) of the skipped models and seeds,
    # parents before children (Dagster takes a multi-asset's outputs in dependency order)


def ledger_reads_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of which build last read each ledger feed."""
    reads = sorted(unchanged.reads(con).items())
    return hashlib.sha256(json.dumps(reads).encode()).hexdigest()


def _complete_build(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    known = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'dbt_complete_build'"
    ).fetchone()
    if not known or not known[0]:
        return None
    row = con.execute(f"select project, ledger_reads from {COMPLETE_TABLE}").fetchone()
    return (str(row[0]), str(row[1])) if row else None


def only_cems_changed(con: duckdb.DuckDBPyConnection, project: str) -> bool:
    """True when the last complete dbt build ran with `project` on the ledger reads as they are."""
    if os.environ.get(TARGET_ENV, "duckdb") != "duckdb":
        return False
    return _complete_build(con) == (project, ledger_reads_digest(con))


def remember_complete_build(
    con: duckdb.DuckDBPyConnection, project: str, test_results: Iterable[tuple[str, str]] = ()
) -> None:
    """Record a complete dbt build: its project digest, the ledger reads it ran on and the
    (test name, status) of each data test it ran."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"create or replace table {COMPLETE_TABLE} as "
        "select ?::varchar as project, ?::varchar as ledger_reads",
        [project, ledger_reads_digest(con)],
    )
    con.execute(f"create or replace table {TEST_RESULTS_TABLE} (name varchar, status varchar)")
    rows = sorted(set(test_results))
    if rows:
        con.executemany(f"insert into {TEST_RESULTS_TABLE} values (?, ?)", rows)


def last_test_results(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Status of each data test in the last complete dbt build, by test name (a name the build
    ran twice is left out: its result cannot be told apart)."""
    schema, table = TEST_RESULTS_TABLE.split(".")
    known = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not known or not known[0]:
        return {}
    rows = con.execute(
        f"select name, any_value(status) from {TEST_RESULTS_TABLE} "
        "group by name having count(*) = 1"
    ).fetchall()
    return {str(name): str(status) for name, status in rows}


def data_test_results(
    run_results: Mapping[str, Any], manifest: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(test name, status) of the data tests in a dbt run_results.json."""
    nodes = manifest["nodes"]
    return [
        (nodes[r["unique_id"]]["name"], r["status"])
        for r in run_results["results"]
        if r["unique_id"].startswith("test.") and r["unique_id"] in nodes
    ]


def _descendants(child_map: Mapping[str, list[str]], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        for child in child_map.get(node, []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def cems_selection(manifest: Mapping[str, Any]) -> Selection | None:
    """The nodes not downstream of a CEMS source; None when names would be ambiguous (a skipped
    and a rebuilt node sharing a name), then everything runs."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in RUNNABLE}
    roots = [uid for uid in manifest["sources"] if uid.startswith(CEMS_SOURCE_PREFIX)]
    rebuilt = _descendants(manifest["child_map"], roots)
    skipped = [n for uid, n in nodes.items() if uid not in rebuilt]
    names = {n["name"] for n in skipped}
    if not roots or names & {n["name"] for uid, n in nodes.items() if uid in rebuilt}:
        return None
    relations = [uid for uid, n in nodes.items() if uid not in rebuilt and _is_relation(n)]
    kept = [
        (nodes[uid].get("schema") or "main", nodes[uid].get("alias") or nodes[uid]["name"])
        for uid in _parents_first(relations, manifest["parent_map"])
    ]
    return Selection(sorted(names), kept)


def _is_relation(node: Mapping[str, Any]) -> bool:
    return node["resource_type"] in ("model", "seed")


def _parents_first(uids: list[str], parent_map: Mapping[str, list[str]]) -> list[str]:
    """`uids` ordered so that each comes after those of its ancestors that are among them."""
    wanted, done, order = set(uids), set(), []

    def visit(uid: str) -> None:
        done.add(uid)
        for parent in parent_map.get(uid, []):
            if parent in wanted and parent not in done:
                visit(parent)
        order.append(uid)

    for uid in sorted(uids):
        if uid not in done:
            visit(uid)
    return order


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
