"""A CEMS suite validated as its table grows by days, so a nightly validates the new days.

Every expectation of the CEMS suites counts rows one at a time, or keys (mn, pollutant, hour)
that lie within one day, and none lets an unexpected row pass (no `mostly`): the result over a
table is the sum of the results over its days' rows. So each validation keeps, with its result,
a digest of each day's rows of the suite's query (their count and two order-free sums of their
hashes: audit.suite_day_digests). The next build digests the query's rows again (a fraction of
a second): when every kept day is as it was, great-expectations validates only the new days'
rows and the result adds up with the kept one, GX's own arithmetic (element, unexpected and
missing counts; the percentage of the rows judged; the first examples). Anything else validates
the whole table: a day changed or gone (late data, a registry change that moved a day's shares
of the limit), a changed suite or runner, an expectation that raised or counts no rows.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.quality import gx_runner, suite_memo
from dagster_project.quality.gx_runner import PARTIAL_UNEXPECTED, ExpectationOutcome, SuiteResult

DIGEST_TABLE = "audit.suite_day_digests"
DAY_COLUMN = "hour_start"
_CODE = (Path(__file__), Path(gx_runner.__file__))

Digest = tuple[int, int, int]  # rows, sum of row hashes, xor of row hashes


def suite_key(suite_path: Path) -> str:
    """The suite file (its query and expectations) and the validating code, as one digest."""
    return str(suite_memo.files_digest((suite_path, *_CODE)).hexdigest())


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
    """Keep the result and the digests of the days it judged (replacing the suite's earlier)."""
    con.execute(f"delete from {DIGEST_TABLE} where suite = ?", [suite])
    con.executemany(
        f"insert into {DIGEST_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
        [(suite, key, day, *d, build_id) for day, d in sorted(digests.items())],
    )
    suite_memo.remember(con, f"{suite}#days", key, [result], build_id)


def _adds_up(outcome: ExpectationOutcome) -> bool:
    return outcome.error is None and None not in (outcome.element_count, outcome.unexpected_count)


def _percent(unexpected: int, elements: int, missing: int | None) -> float | None:
    """GX's unexpected_percent: of the rows judged (non-null where it skips nulls)."""
    if elements <= 0:
        return None
    if missing is None:
        return unexpected / elements * 100
    judged = elements - missing
    return unexpected / judged * 100 if judged > 0 else None


def _sum(kept: ExpectationOutcome, new: ExpectationOutcome) -> ExpectationOutcome:
    elements = int(kept.element_count or 0) + int(new.element_count or 0)
    unexpected = int(kept.unexpected_count or 0) + int(new.unexpected_count or 0)
    missing = (
        None
        if kept.missing_count is None and new.missing_count is None
        else int(kept.missing_count or 0) + int(new.missing_count or 0)
    )
    return dataclasses.replace(
        new,
        success=unexpected == 0,
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=_percent(unexpected, elements, missing),
        partial_unexpected=(kept.partial_unexpected + new.partial_unexpected)[:PARTIAL_UNEXPECTED],
        missing_count=missing,
    )


def added(kept: SuiteResult, new: SuiteResult) -> SuiteResult | None:
    """The result over the rows of both (None when it cannot be told from their counts)."""
    pairs = list(zip(kept.expectations, new.expectations, strict=True))
    if any(
        (k.expectation_type, k.column) != (n.expectation_type, n.column)
        or not (_adds_up(k) and _adds_up(n))
        for k, n in pairs
    ):
        return None
    outcomes = [_sum(k, n) for k, n in pairs]
    return dataclasses.replace(
        kept,
        success=all(o.success for o in outcomes),
        successful_expectations=sum(o.success for o in outcomes),
        rows_validated=kept.rows_validated + new.rows_validated,
        rows_carried=kept.rows_validated,
        expectations=outcomes,
    )


def validate(
    con: duckdb.DuckDBPyConnection, suite_path: Path, query: str, build_id: str
) -> SuiteResult:
    """The suite's result over every row of `query`, validating with GX only the new days when
    every day validated before is unchanged (see the module docstring)."""
    suite, key = suite_path.stem, suite_key(suite_path)
    _ensure(con)
    now = day_digests(con, query)
    kept = _kept(con, suite, key)
    before = suite_memo.recall(con, f"{suite}#days", key) if kept else None
    unchanged = all(now.get(day) == d for day, d in kept.items())
    if before and unchanged and None not in now:  # a row without its hour has no day
        new_days = sorted(day for day in now if day not in kept)
        if not new_days:
            return dataclasses.replace(before[0], rows_carried=before[0].rows_validated)
        days = ", ".join(f"date '{day.isoformat()}'" for day in new_days)
        part = gx_runner.run_suite(
            con,
            suite_path,
            f"select * from ({query}) as q where cast(q.{DAY_COLUMN} as date) in ({days})",
        )
        result = added(before[0], part)
        if result is not None:
            result.query = query
            _keep(con, suite, key, now, result, build_id)
            return result
    result = gx_runner.run_suite(con, suite_path, query)
    _keep(con, suite, key, now, result, build_id)
    return result
