"""A CEMS suite over a table that grows by days: great-expectations validates the new days, and
the result adds up with the kept one exactly as GX counts the whole table; a changed day, or a
changed suite, has the whole table validated."""

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
    """24 hours of one pair; hour 5's minutes unknown (null)."""
    con.execute(
        "insert into marts.cems_hourly select 'MN1', 'a21026', "
        f"timestamp '2024-03-{day:02d}' + to_hours(h::bigint), "
        "case when h = 5 then null else 60 end, ?, true from range(24) as t(h)",
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


def _counts(result: gx_runner.SuiteResult) -> list[tuple]:
    return [
        (
            e.expectation_type,
            e.success,
            e.element_count,
            e.unexpected_count,
            e.unexpected_percent,
            e.missing_count,
            sorted(map(str, e.partial_unexpected)),
        )
        for e in result.expectations
    ]


def test_only_new_days_are_validated_and_the_result_reads_over_every_row(con, gx_rows) -> None:
    first = _validate(con, "b1")
    assert first.success and first.rows_validated == 48 and first.rows_carried == 0
    assert gx_rows == [48]

    again = _validate(con, "b2")  # nothing changed: nothing validated
    assert gx_rows == [48]
    assert again.rows_validated == again.rows_carried == 48 and _counts(again) == _counts(first)

    _add_day(con, 3)  # the nightly's new day
    grown = _validate(con, "b3")
    assert gx_rows == [48, 24]
    assert grown.success and grown.rows_validated == 72 and grown.rows_carried == 48
    assert grown.query == QUERY
    assert _counts(grown) == _counts(gx_runner.run_suite(con, VALIDITY, QUERY))


def test_a_failing_new_day_adds_up_as_great_expectations_counts_the_whole_table(
    con, gx_rows
) -> None:
    assert _validate(con, "b1").success
    _add_day(con, 3, flag="X")  # not a HJ 212 flag
    con.execute(
        "update marts.cems_hourly set valid_minutes = 61 "
        "where hour_start = timestamp '2024-03-03 07:00'"
    )
    failed = _validate(con, "b2")
    assert gx_rows == [48, 24]
    assert not failed.success and failed.rows_validated == 72 and failed.rows_carried == 48
    whole = gx_runner.run_suite(con, VALIDITY, QUERY)
    assert not whole.success
    assert _counts(failed) == _counts(whole)
    (flags,) = [e for e in failed.expectations if e.column == "flag"]
    assert flags.unexpected_count == 24 and flags.element_count == 72
    (minutes,) = [e for e in failed.expectations if e.column == "valid_minutes"]
    assert minutes.missing_count == 3 and minutes.unexpected_percent == pytest.approx(100 / 69)


def test_a_changed_day_or_suite_has_the_whole_table_validated(con, gx_rows, tmp_path) -> None:
    assert _validate(con, "b1").success
    con.execute(  # late data changing a day already validated
        "update marts.cems_hourly set valid_minutes = 59 "
        "where hour_start = timestamp '2024-03-01 05:00'"
    )
    assert _validate(con, "b2").rows_carried == 0
    assert gx_rows == [48, 48]
    edited = tmp_path / VALIDITY.name
    suite = json.loads(VALIDITY.read_text(encoding="utf-8"))
    suite["expectations"] = suite["expectations"][:-1]
    edited.write_text(json.dumps(suite), encoding="utf-8")
    result = day_memo.validate(con, edited, QUERY, "b3")
    assert result.success and result.rows_carried == 0
    assert gx_rows == [48, 48, 48]
