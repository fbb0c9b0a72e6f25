"""Run great-expectations suites (expectations/<name>.json) against rows of the warehouse.

Each suite file is GX 1.x ExpectationSuite JSON. The rows to validate come from DuckDB SQL,
fetched as a pandas DataFrame and validated as a pandas batch in an ephemeral GX context.
(GX 1.24's SQL path through duckdb-engine fails every expectation with "list index out of
range", so SQL datasources are not used; pandas 3.1 batches work.) Which rows a suite sees:
- `meta.query`: one SQL query for the whole suite (the cems_* suites), or
- `meta.batches`: {batch name: {"query": SQL}} with each expectation naming its batch in
  `meta.batch` (the registry suite: enterprises, outlets, outlet limits); one SuiteResult per
  batch, named "<suite>.<batch>".
SuiteResult is plain data (dataclasses of JSON types) for Dagster metadata and the build summary.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.feeds.uscc import USCC_CHARSET, is_valid_uscc
from dagster_project.paths import project_file

os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before GX is imported: no network, no telemetry

EXPECTATIONS_DIR = project_file("expectations")
REGISTRY_SUITE = EXPECTATIONS_DIR / "registry.json"
PARTIAL_UNEXPECTED = 5


@dataclass
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    success: bool
    element_count: int | None  # rows the expectation looked at (column/map expectations)
    unexpected_count: int | None
    unexpected_percent: float | None
    partial_unexpected: list[Any]
    kwargs: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # GX raised while computing: the expectation did not run
    missing_count: int | None = None  # rows whose value is null (map expectations that skip them)


@dataclass
class SuiteResult:
    suite_name: str
    success: bool
    evaluated_expectations: int
    successful_expectations: int
    rows_validated: int
    expectations: list[ExpectationOutcome]
    query: str = ""
    rows_carried: int = 0  # of rows_validated: judged by an earlier build, unchanged since

    def failed(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]


def load_suite(path: Path) -> dict[str, Any]:
    suite = json.loads(Path(path).read_text(encoding="utf-8"))
    if "name" not in suite or "expectations" not in suite:
        raise ValueError(f"{path}: not an ExpectationSuite (needs 'name' and 'expectations')")
    return suite


def json_safe(value: Any) -> Any:
    """numpy/pandas scalars, NaN/NA and timestamps as JSON-ready values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        try:
            return json_safe(item())
        except (ValueError, TypeError):
            pass
    isoformat = getattr(value, "isoformat", None)  # pandas Timestamp (NaT is caught below)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if callable(isoformat):
        return isoformat()
    return str(value)


def _error_text(info: Any) -> str | None:
    """The first exception message in GX's (possibly nested) exception_info."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception") and info.get("exception_message"):
        return str(info["exception_message"]).splitlines()[0]
    for v in info.values():
        text = _error_text(v)
        if text:
            return text
    return None


def validate_frame(df: Any, suite: dict[str, Any], *, name: str | None = None) -> SuiteResult:
    """Validate a pandas DataFrame against a suite dict; expectations reported in suite order."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    suite_name = name or suite["name"]
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    gx_suite = context.suites.add(
        ExpectationSuite(
            name=suite_name,
            expectations=[
                {k: e[k] for k in ("type", "kwargs", "meta", "notes") if k in e}
                for e in suite["expectations"]
            ],
            meta=suite.get("meta") or {},
        )
    )
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all_rows")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    run = batch.validate(
        gx_suite,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_UNEXPECTED},
    )
    order = {e.id: i for i, e in enumerate(gx_suite.expectations)}
    results = sorted(run.results, key=lambda r: order.get(r.expectation_config.id, len(order)))
    outcomes = []
    for r in results:
        config = r.expectation_config
        res = r.result or {}
        error = _error_text(r.exception_info)
        outcomes.append(
            ExpectationOutcome(
                expectation_type=config.type,
                column=config.kwargs.get("column")
                or ",".join(config.kwargs.get("column_list") or [])
                or None,
                success=bool(r.success) and error is None,
                element_count=json_safe(res.get("element_count")),
                unexpected_count=json_safe(res.get("unexpected_count")),
                unexpected_percent=json_safe(res.get("unexpected_percent")),
                partial_unexpected=json_safe(list(res.get("partial_unexpected_list") or [])),
                kwargs=json_safe(
                    {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
                ),
                meta=json_safe(dict(config.meta or {})),
                error=error,
                missing_count=json_safe(res.get("missing_count")),
            )
        )
    return SuiteResult(
        suite_name=suite_name,
        success=all(o.success for o in outcomes),
        evaluated_expectations=len(outcomes),
        successful_expectations=sum(o.success for o in outcomes),
        rows_validated=len(df),
        expectations=outcomes,
    )


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """SQL functions the suites' queries use; idempotent per connection.

    lantian_uscc_check_ok(code): true/false for an 18-character code over the USCC charset
    (GB 32100 check character and the embedded GB 11714 organisation-code check), null
    otherwise: length and charset have expectations of their own, so a code wrong in length
    fails exactly one expectation.
    """
    exists = con.execute(
        "select count(*) from duckdb_functions() where function_name = 'lantian_uscc_check_ok'"
    ).fetchall()  # fetchall: duckdb 2.0 refuses new work while a result is unfinished
    if exists[0][0]:
        return

    def uscc_check_ok(code: str | None) -> bool | None:
        if code is None or len(code) != 18 or any(ch not in USCC_CHARSET for ch in code):
            return None
        return is_valid_uscc(code)

    con.create_function(
        "lantian_uscc_check_ok",
        uscc_check_ok,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("BOOLEAN"),
        null_handling="special",
        side_effects=False,
    )


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    register_udfs(con)
    return con.execute(query).df()


def run_suite(
    con: duckdb.DuckDBPyConnection, suite_path: Path, query: str | None = None
) -> SuiteResult:
    """Validate the rows of `query` (default: the suite's meta.query) against the suite."""
    suite = load_suite(suite_path)
    sql = query or (suite.get("meta") or {}).get("query")
    if not sql:
        raise ValueError(f"{suite_path}: no query given and no meta.query in the suite")
    result = validate_frame(_rows(con, sql), suite)
    result.query = sql
    return result


def run_suite_batches(con: duckdb.DuckDBPyConnection, suite_path: Path) -> list[SuiteResult]:
    """One SuiteResult per batch of a suite with meta.batches (see module docstring)."""
    suite = load_suite(suite_path)
    batches: dict[str, dict[str, Any]] = (suite.get("meta") or {}).get("batches") or {}
    if not batches:
        return [run_suite(con, suite_path)]
    unknown = {(e.get("meta") or {}).get("batch") for e in suite["expectations"]} - set(batches)
    if unknown:
        raise ValueError(
            f"{suite_path}: expectations name unknown batches {sorted(map(str, unknown))}"
        )
    results = []
    for batch, spec in batches.items():
        sub = dict(suite)
        sub["expectations"] = [
            e for e in suite["expectations"] if (e.get("meta") or {}).get("batch") == batch
        ]
        result = validate_frame(_rows(con, spec["query"]), sub, name=f"{suite['name']}.{batch}")
        result.query = spec["query"]
        results.append(result)
    return results


def run_registry_suite(con: duckdb.DuckDBPyConnection) -> list[SuiteResult]:
    """expectations/registry.json over raw.registry_enterprises, _outlets and _outlet_limits."""
    return run_suite_batches(con, REGISTRY_SUITE)
