"""A CEMS suite validated day by day, so a nightly validates the days whose rows changed.

Every expectation of the CEMS suites judges one row at a time, or a key (mn, pollutant, hour)
that lies within one day, and none lets an unexpected row pass (no `mostly`): a suite passes on
the table exactly when it passes on each day's rows. So after a validation that passed, each
day's rows of the suite's query are kept as a digest (their count and two order-free sums of
their hashes: audit.suite_day_digests) with the result. The next build digests the query's rows
again (a fraction of a second) and validates with great-expectations only the days whose digest
differs: a new day, late data, a registry change that moved a day's shares of the limit. When
they pass, the table passes: the kept result, counted over today's rows. Anything else, a
changed suite or runner, a day that fails, no passing result kept, validates the whole table
(a failure's counts and examples are then GX's own over every row) and keeps its digests only
when it passed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.quality import gx_runner, suite_memo
from dagster_project.quality.gx_runner import SuiteResult

DIGEST_TABLE = "audit.suite_day_digests"
DAY_COLUMN = "hour_start"
_CODE = (Path(__file__), Path(gx_runner.__file__))

Digest = tuple[int, int, int]  # rows, sum of row hashes, xor of row hashes


def suite_key(suite_path: Path) -> str:
    """The suite file (its query and expectations) and the validating code, as one digest."""
    digest = hashlib.sha256()
    for path in (suite_path, *_CODE):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def day_digests(con: duckdb.DuckDBPyConnection, query: str) -> dict[date, Digest]:
    """Per day of the query's rows: their count and order-free digests of their hashes (a sum
    and an xor: two equal rows cancel in the xor, not in the sum)."""
    gx_runner.register_udfs(con)
    rows = con.execute(
        f"select cast(q.{DAY_COLUMN} as date), count(*), sum(hash(q))::hugeint, bit_xor(hash(q)) "
        f"from ({query}) as q group by 1"
    ).fetchall()
    return {day: (int(n), int(s), int(x)) for day, n, s, x in rows}


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(
        f"create table if not exists {DIGEST_TABLE} (suite varchar, suite_key varchar, "
        "day date, row_count bigint, hash_sum hugeint, hash_xor ubigint, build_id varchar)"
    )


def _kept(con: duckdb.DuckDBPyConnection, suite: str, key: str) -> dict[date, Digest]:
    rows = con.execute(
        f"select day, row_count, hash_sum, hash_xor from {DIGEST_TABLE} "
        "where suite = ? and suite_key = ?",
        [suite, key],
    ).fetchall()
    return {day: (int(n), int(s), int(x)) for day, n, s, x in rows}


def _keep(
    con: duckdb.DuckDBPyConnection,
    suite: str,
    key: str,
    digests: dict[date, Digest],
    result: SuiteResult,
    build_id: str,
) -> None:
    """Keep the passing result and its days' digests (replacing the suite's earlier ones)."""
    con.execute(f"delete from {DIGEST_TABLE} where suite = ?", [suite])
    con.executemany(
        f"insert into {DIGEST_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
        [(suite, key, day, *d, build_id) for day, d in sorted(digests.items())],
    )
    suite_memo.remember(con, f"{suite}#days", key, [result], build_id)


def _forget(con: duckdb.DuckDBPyConnection, suite: str) -> None:
    con.execute(f"delete from {DIGEST_TABLE} where suite = ?", [suite])


def _counted_over(result: SuiteResult, rows: int, carried: int) -> SuiteResult:
    """A passing result as it reads over `rows` rows: every expectation of these suites counts
    each row once (none unexpected, as it passed)."""
    return dataclasses.replace(
        result,
        rows_validated=rows,
        rows_carried=carried,
        expectations=[dataclasses.replace(e, element_count=rows) for e in result.expectations],
    )


def validate(
    con: duckdb.DuckDBPyConnection, suite_path: Path, query: str, build_id: str
) -> SuiteResult:
    """The suite's result over every row of `query`, validating with GX only the days whose rows
    changed since a passing validation (see the module docstring)."""
    suite, key = suite_path.stem, suite_key(suite_path)
    _ensure(con)
    now = day_digests(con, query)
    kept = _kept(con, suite, key)
    before = suite_memo.recall(con, f"{suite}#days", key) if kept else None
    total = sum(n for n, _, _ in now.values())
    if before and None not in now:  # a row without its hour has no day to be validated with
        changed = sorted(day for day, d in now.items() if kept.get(day) != d)
        if not changed:
            return _counted_over(before[0], total, total)
        days = ", ".join(f"date '{day.isoformat()}'" for day in changed)
        part = gx_runner.run_suite(
            con,
            suite_path,
            f"select * from ({query}) as q where cast(q.{DAY_COLUMN} as date) in ({days})",
        )
        if part.success:
            result = _counted_over(part, total, total - part.rows_validated)
            result.query = query
            _keep(con, suite, key, now, result, build_id)
            return result
    result = gx_runner.run_suite(con, suite_path, query)
    if result.success:
        _keep(con, suite, key, now, result, build_id)
    else:
        _forget(con, suite)
    return result
