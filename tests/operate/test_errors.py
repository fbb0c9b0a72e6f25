"""Failures are reported by their root cause, in one line."""

from __future__ import annotations

import errno

import dagster as dg
import pytest

from dagster_project.operate.errors import root_cause


def _chained() -> BaseException:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/.w.duckdb.building-1")
        except OSError as inner:
            raise RuntimeError("copying the previous warehouse") from inner
    except RuntimeError as outer:
        return outer


def test_disk_full_is_named_with_the_file() -> None:
    assert root_cause(_chained()) == (
        "disk full: [Errno 28] No space left on device: '/data/.w.duckdb.building-1'"
    )


def test_the_innermost_error_is_reported_not_the_dagster_wrapper() -> None:
    class ComponentTreeException(Exception):
        pass

    try:
        try:
            raise FileNotFoundError("dbt executable not found in /opt/venv/bin")
        except FileNotFoundError as exc:
            raise ComponentTreeException("└── project.py (loaded)") from exc
    except ComponentTreeException as wrapped:
        assert root_cause(wrapped) == (
            "FileNotFoundError: dbt executable not found in /opt/venv/bin"
        )


def test_a_step_failure_from_the_run_is_reduced_to_its_cause() -> None:
    @dg.asset
    def broken() -> None:
        raise ValueError("file registry/enterprises.csv line 3 column 2: bad USCC\nmore detail")

    result = dg.materialize([broken], raise_on_error=False)
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert root_cause(failure.event_specific_data.error) == (
        "ValueError: file registry/enterprises.csv line 3 column 2: bad USCC"
    )


@pytest.mark.parametrize(
    "message",
    [
        'IO Error: Could not write file "x.wal": No space left on device',
        "database or disk is full",
    ],
)
def test_disk_full_from_any_tool_is_recognised(message: str) -> None:
    assert root_cause(RuntimeError(message)).startswith("disk full: ")
