"""A suite's result kept with the data it judged, so a build that changed none of that data does
not validate it again.

The registry suite reads only raw tables of ledger feeds, and a feed's raw table changes only
when a build reads the feed again (feeds/unchanged.py). Its result is kept in
audit.suite_results under a key made of the suite file, the validating code and which build last
read each ledger feed; a later build with the same key gets that result back (its rows cannot
have changed), marked as not re-run. Any feed read again, or a changed suite, validates anew.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.feeds import unchanged
from dagster_project.quality.gx_runner import ExpectationOutcome, SuiteResult, json_safe

MEMO_TABLE = "audit.suite_results"
_CODE = (Path(__file__).parent / "gx_runner.py",)


def files_digest(paths: Sequence[Path]) -> Any:
    """A running SHA-256 of the files' contents (a suite file and the code that validates it)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() + b"\0")
    return digest


def data_key(con: duckdb.DuckDBPyConnection, suite_path: Path) -> str:
    """The suite file, the validating code and the ledger feeds' last reads, as one digest."""
    digest = files_digest((suite_path, *_CODE))
    digest.update(json.dumps(sorted(unchanged.reads(con).items())).encode())
    return digest.hexdigest()


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(
        f"create table if not exists {MEMO_TABLE} "
        "(suite varchar, data_key varchar, results varchar, build_id varchar)"
    )


def recall(con: duckdb.DuckDBPyConnection, suite: str, key: str) -> list[SuiteResult] | None:
    """The results kept for `suite` under `key`, or None."""
    _ensure(con)
    row = con.execute(
        f"select results from {MEMO_TABLE} where suite = ? and data_key = ?", [suite, key]
    ).fetchone()
    if row is None:
        return None
    return [
        SuiteResult(
            **{k: v for k, v in r.items() if k != "expectations"},
            expectations=[ExpectationOutcome(**e) for e in r["expectations"]],
        )
        for r in json.loads(row[0])
    ]


def remember(
    con: duckdb.DuckDBPyConnection,
    suite: str,
    key: str,
    results: list[SuiteResult],
    build_id: str,
) -> None:
    """Keep `results` as the suite's last, under `key` (replacing what it kept before)."""
    _ensure(con)
    text = json.dumps(json_safe([asdict(r) for r in results]))
    con.execute(f"delete from {MEMO_TABLE} where suite = ?", [suite])
    con.execute(f"insert into {MEMO_TABLE} values (?, ?, ?, ?)", [suite, key, text, build_id])


def validated(
    con: duckdb.DuckDBPyConnection,
    suite_path: Path,
    run: Callable[[duckdb.DuckDBPyConnection], list[SuiteResult]],
    build_id: str,
) -> tuple[list[SuiteResult], bool]:
    """(results, re_run): the kept results when the data is as they judged it, else `run`'s
    (then kept)."""
    key = data_key(con, suite_path)
    kept = recall(con, suite_path.stem, key)
    if kept is not None:
        return kept, False
    results = run(con)
    remember(con, suite_path.stem, key, results, build_id)
    return results, True
