"""What stops a build from being published, and how it is reported."""

from __future__ import annotations

from dagster_project.build import BuildFailed, BuildRefused, CheckLine, verdict
from dagster_project.operate import exit_codes


def _check(name: str, passed: bool, detail: str = "", kind: str = "dbt", severity: str = "WARN"):
    return CheckLine(name, passed, detail, kind, severity)


def test_a_clean_run_is_published() -> None:
    checks = [_check("not_null_x", True), _check("shrink_guard", True, "none", "guard", "ERROR")]
    assert verdict(checks, [], True) is None


def test_a_failed_warning_check_does_not_block() -> None:
    assert (
        verdict([_check("cems_expectations", False, "ranges", "suite", "WARN")], [], True) is None
    )


def test_a_failed_blocking_check_fails_the_build_naming_the_check() -> None:
    checks = [_check("unique_outlets_mn", False, "2 duplicate MN", severity="ERROR")]
    failure = verdict(checks, ["dbt_warehouse: dbt build failed", "marts__x: skipped"], False)
    assert isinstance(failure, BuildFailed) and not isinstance(failure, BuildRefused)
    assert failure.exit_code == exit_codes.FAILED
    assert str(failure) == "check unique_outlets_mn failed: 2 duplicate MN (and 2 more)"


def test_the_shrink_guard_refuses_with_exit_3_and_its_first_problem() -> None:
    checks = [
        _check(
            "shrink_guard", False, "feed cems: no file in this build's sources", "guard", "ERROR"
        ),
        _check("shrink_guard", False, "enterprises: 30, down 50% from 60", "guard", "ERROR"),
    ]
    failure = verdict(checks, ["raw__registry_enterprises_shrink_guard: failed"], False)
    assert isinstance(failure, BuildRefused) and failure.exit_code == exit_codes.INPUT_PROBLEMS
    assert str(failure).startswith(
        "refused to replace the warehouse: feed cems: no file in this build's sources (and 1 more)"
    )


def test_a_failed_step_names_its_root_cause() -> None:
    failure = verdict([], ["ingest_cems: disk full: [Errno 28] No space left on device"], False)
    assert str(failure) == "ingest_cems: disk full: [Errno 28] No space left on device"


def test_finished_builds_with_input_problems_exit_3() -> None:
    assert exit_codes.for_finished_build([]) == exit_codes.OK
    assert (
        exit_codes.for_finished_build(["cems/a.log: truncated_file"]) == exit_codes.INPUT_PROBLEMS
    )
