"""The generic runner: a suite's meta.query over DuckDB rows, pandas 3 dtypes, GX errors."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest

from dagster_project.quality.gx_runner import run_suite, run_suite_batches


def _suite(path: Path, expectations: list[dict], **meta: object) -> Path:
    path.write_text(
        json.dumps({"name": path.stem, "meta": meta, "expectations": expectations}),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute(
        """create table hourly as select * from (values
            ('MN1', timestamp '2023-11-01 00:00', 20.5, true, 45::integer, 'N'),
            ('MN1', timestamp '2023-11-01 01:00', null, false, null, 'D'),
            ('MN2', timestamp '2023-11-01 00:00', 80.0, null, 60, 'N')
        ) t(mn, hour_start, avg_converted, is_valid, valid_minutes, flag)"""
    )
    yield connection
    connection.close()


def test_meta_query_rows_are_validated(tmp_path: Path, con) -> None:
    path = _suite(
        tmp_path / "cems_demo.json",
        [
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "avg_converted", "max_value": 50}},
            {"type": "expect_column_values_to_be_in_set",
             "kwargs": {"column": "flag", "value_set": ["N", "D"]}},
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "valid_minutes", "min_value": 0, "max_value": 60}},
            {"type": "expect_column_values_to_be_in_set",
             "kwargs": {"column": "is_valid", "value_set": [True]}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "hour_start"}},
        ],
        query="select * from hourly",
    )  # fmt: skip
    result = run_suite(con, path)
    assert (result.suite_name, result.rows_validated, result.evaluated_expectations) == (
        "cems_demo",
        3,
        5,
    )
    outcomes = [(e.column, e.success, e.unexpected_count) for e in result.expectations]
    assert outcomes == [
        ("avg_converted", False, 1),
        ("flag", True, 0),
        ("valid_minutes", True, 0),
        ("is_valid", False, 1),
        ("hour_start", True, 0),
    ]
    assert result.expectations[0].partial_unexpected == [80.0]
    assert result.expectations[3].partial_unexpected == [False]
    assert not result.success and result.successful_expectations == 3
    json.dumps(asdict(result))

    # an explicit query overrides meta.query
    only_mn1 = run_suite(con, path, "select * from hourly where mn = 'MN1'")
    assert only_mn1.rows_validated == 2 and only_mn1.expectations[0].success


def test_an_expectation_gx_cannot_compute_is_a_failure_with_the_error(tmp_path: Path, con) -> None:
    # GX 1.x compares timestamps with string bounds and raises: it must not read as a pass.
    path = _suite(
        tmp_path / "dates.json",
        [{"type": "expect_column_values_to_be_between",
          "kwargs": {"column": "hour_start",
                     "min_value": "2023-01-01", "max_value": "2024-01-01"}}],
        query="select * from hourly",
    )  # fmt: skip
    outcome = run_suite(con, path).expectations[0]
    assert not outcome.success
    assert outcome.error


def test_missing_query_and_unknown_batches_are_errors(tmp_path: Path, con) -> None:
    no_query = _suite(tmp_path / "q.json", [])
    with pytest.raises(ValueError, match="no query"):
        run_suite(con, no_query)
    bad_batch = _suite(
        tmp_path / "b.json",
        [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "mn"},
          "meta": {"batch": "nope"}}],
        batches={"hourly": {"query": "select * from hourly"}},
    )  # fmt: skip
    with pytest.raises(ValueError, match="unknown batches"):
        run_suite_batches(con, bad_batch)


def test_results_feed_the_dagster_asset_check(tmp_path: Path, con) -> None:
    from dagster_project.defs.quality.gx_results import check_result_from_suites

    path = _suite(
        tmp_path / "s.json",
        [{"type": "expect_column_values_to_be_between",
          "kwargs": {"column": "avg_converted", "max_value": 50}}],
        query="select * from hourly",
    )  # fmt: skip
    check = check_result_from_suites([run_suite(con, path)])
    assert check.passed is False
    assert check.metadata["rows_validated"].value == 3
    assert "avg_converted" in check.metadata["failed_expectations"].value
