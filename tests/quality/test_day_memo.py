"""A CEMS suite over a table that grows by a day: great-expectations validates the days whose rows
changed since a passing validation, and the result reads over every row; a failure is GX's own
over the whole table, and the next build validates everything again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dagster_project.detectors.suites import suite_paths
from dagster_project.quality import day_memo, gx_runner

VALIDITY = next(p for p in suite_paths() if p.stem == "cems_hourly_validity")
QUERY = json.loads(VALIDITY.read_text(encoding="utf-8"))["meta"]["query"]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("create schema marts")
    connection.execute(
        "create table marts.cems_hourly (mn varchar, pollutant_code varchar, "
        "hour_start timestamp, valid_minutes bigint, flag varchar, is_valid boolean)"
    )
    _add_day(connection, 1)
    _add_day(connection, 2)
    yield connection
    connection.close()


def _add_day(con: duckdb.DuckDBPyConnection, day: int, flag: str = "N") -> None:
    con.execute(
        "insert into marts.cems_hourly select 'MN1', 'a21026', "
        f"timestamp '2024-03-{day:02d}' + to_hours(h::bigint), 60, ?, true "
        "from range(24) as t(h)",
        [flag],
    )


@pytest.fixture
def gx_rows(monkeypatch) -> list[int]:
    """The row count of every batch great-expectations validates."""
    seen: list[int] = []
    run = gx_runner.run_suite

    def counting(con, path, query=None):
        result = run(con, path, query)
        seen.append(result.rows_validated)
        return result

    monkeypatch.setattr(gx_runner, "run_suite", counting)
    return seen


def _validate(con: duckdb.DuckDBPyConnection, build: str) -> gx_runner.SuiteResult:
    return day_memo.validate(con, VALIDITY, QUERY, build)


def test_only_the_changed_days_are_validated_and_the_result_reads_over_every_row(
    con, gx_rows
) -> None:
    first = _validate(con, "b1")
    assert first.success and first.rows_validated == 48 and first.rows_carried == 0
    assert gx_rows == [48]

    again = _validate(con, "b2")  # nothing changed: nothing validated
    assert gx_rows == [48]
    assert again.success and again.rows_validated == again.rows_carried == 48
    assert [e.element_count for e in again.expectations] == [48] * len(first.expectations)

    _add_day(con, 3)  # the nightly's new day
    grown = _validate(con, "b3")
    assert gx_rows == [48, 24]
    assert grown.success and grown.rows_validated == 72 and grown.rows_carried == 48
    assert [e.element_count for e in grown.expectations] == [72] * len(first.expectations)
    assert grown.query == QUERY

    # late data changing a day already validated: that day again
    con.execute(
        "update marts.cems_hourly set valid_minutes = 59 "
        "where hour_start = timestamp '2024-03-01 05:00'"
    )
    assert _validate(con, "b4").success
    assert gx_rows == [48, 24, 24]


def test_a_failing_day_is_reported_over_the_whole_table_and_everything_is_validated_again(
    con, gx_rows
) -> None:
    assert _validate(con, "b1").success
    _add_day(con, 3, flag="X")  # not a HJ 212 flag
    failed = _validate(con, "b2")
    assert gx_rows == [48, 24, 72]  # the day, then the table for GX's own counts and examples
    assert not failed.success and failed.rows_validated == 72 and failed.rows_carried == 0
    (flags,) = [e for e in failed.expectations if e.column == "flag"]
    assert flags.unexpected_count == 24 and flags.element_count == 72
    assert _validate(con, "b3").rows_carried == 0  # no passing result kept: the whole table
    assert gx_rows == [48, 24, 72, 72]


def test_a_changed_suite_validates_the_whole_table(con, gx_rows, tmp_path: Path) -> None:
    assert _validate(con, "b1").success
    edited = tmp_path / VALIDITY.name
    suite = json.loads(VALIDITY.read_text(encoding="utf-8"))
    suite["expectations"] = suite["expectations"][:-1]
    edited.write_text(json.dumps(suite), encoding="utf-8")
    result = day_memo.validate(con, edited, QUERY, "b2")
    assert result.success and result.rows_carried == 0
    assert gx_rows == [48, 48]
