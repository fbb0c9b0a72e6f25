"""detect_and_store: the entry point the Dagster asset calls after dbt."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.detectors import sql_rules
from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.engine import (
    WINDOW_DIGEST,
    WINDOWS_SCHEMA,
    MonthFindings,
    consolidate,
    judge_by_month,
    read_sql_findings,
)
from dagster_project.detectors.findings import FINDINGS_SCHEMA, concat_findings, empty_findings
from dagster_project.detectors.inputs import STACK_TEST_SCHEMA, DetectorInputs
from dagster_project.detectors.ranking import rank
from dagster_project.detectors.report import write_report

STACK_TESTS_MODEL = "int_anomalies__stack_tests"
# What the incremental detectors kept from the last build (engine.INCREMENTAL), one table each.
MEMO_TABLES = {"py.copy_paste": "audit.detector_copy_paste_days"}
# The month windows of the last build and their findings, each with its window's digest
# (periods.py): a window whose digest is unchanged keeps them instead of being judged again.
WINDOWS_TABLE = "audit.detector_month_windows"
MONTH_FINDINGS_TABLE = "audit.detector_month_findings"


@dataclass
class DetectionSummary:
    by_type: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    outlets_with_findings: int = 0
    report_path: Path | None = None
    seconds: float = 0.0
    detector_seconds: dict[str, float] = field(default_factory=dict)
    windows_judged: int = 0
    windows_kept: int = 0


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute("create schema if not exists marts")
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"create or replace table {table} as select * from _frame")
    finally:
        con.unregister("_frame")


def _enterprise_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """enterprise_id -> name from the registry staging view, where the warehouse has it."""
    if not _exists(con, "staging", "stg_registry__enterprises"):
        return {}
    rows = con.execute(
        "select enterprise_id, name from staging.stg_registry__enterprises"
    ).fetchall()
    return {str(k): str(v) for k, v in rows if k is not None and v is not None}


def _outlet_months(hourly: pl.DataFrame, outlets: pl.DataFrame) -> pl.DataFrame:
    if hourly.height == 0:
        return pl.DataFrame(
            schema={
                "mn": pl.String,
                "outlet_id": pl.String,
                "enterprise_id": pl.String,
                "months": pl.Float64,
            }
        )
    span = hourly.group_by("mn").agg(
        ((pl.col("hour_start").max() - pl.col("hour_start").min()).dt.total_hours() + 1).alias("h")
    )
    ids = outlets.group_by("mn").agg(pl.col("outlet_id").first(), pl.col("enterprise_id").first())
    return span.join(ids, on="mn", how="left").with_columns(
        (pl.col("h") / (24 * 30.4)).alias("months")
    )


def _read_memos(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    return {
        name: con.sql(f"select * from {table}").pl()
        for name, table in MEMO_TABLES.items()
        if _exists(con, *table.split("."))
    }


def _write_memos(con: duckdb.DuckDBPyConnection, memos: dict[str, pl.DataFrame]) -> None:
    con.execute("create schema if not exists audit")
    for name, table in MEMO_TABLES.items():
        if name in memos:
            _write(con, table, memos[name])


def _read_months(con: duckdb.DuckDBPyConnection) -> MonthFindings | None:
    """The last build's month windows and findings, where both are kept in the present form
    (another release's are judged again)."""
    frames = []
    for table, schema in (
        (WINDOWS_TABLE, WINDOWS_SCHEMA),
        (MONTH_FINDINGS_TABLE, {**FINDINGS_SCHEMA, WINDOW_DIGEST: pl.String()}),
    ):
        if not _exists(con, *table.split(".")):
            return None
        frame = con.sql(f"select * from {table}").pl()
        if set(frame.columns) != set(schema):
            return None
        frames.append(frame.select(list(schema)).cast(schema))
    return MonthFindings(*frames)


def _write_months(con: duckdb.DuckDBPyConnection, months: MonthFindings) -> None:
    con.execute("create schema if not exists audit")
    _write(con, WINDOWS_TABLE, months.windows)
    _write(con, MONTH_FINDINGS_TABLE, months.findings)


def detect_and_store(
    con: duckdb.DuckDBPyConnection,
    build_id: str,
    report_dir: Path | None,
    cfg: Config | None = None,
) -> DetectionSummary:
    """Read the dbt inputs and SQL findings, run the statistical detectors, write
    marts.monitoring_anomalies and marts.anomaly_risk_ranking (replace) and the HTML report."""
    t0 = time.perf_counter()
    detector_seconds: dict[str, float] = {}
    cfg = cfg or load_config()
    schema = sql_rules.SCHEMA
    if all(_exists(con, schema, m) for m in sql_rules.INPUT_MODELS):
        if not all(
            _exists(con, schema, m) for m in (sql_rules.STATE_MODEL, *sql_rules.RULE_MODELS)
        ):
            sql_rules.run_all(
                con, cfg
            )  # dbt built the inputs but not the rules (partial selection)
        hourly = con.sql(f"select * from {schema}.int_anomalies__hourly_input").pl()
        outlets = con.sql(f"select * from {schema}.int_anomalies__outlet_pollutants").pl()
        stack = (
            con.sql(f"select * from {schema}.{STACK_TESTS_MODEL}").pl()
            if _exists(con, schema, STACK_TESTS_MODEL)
            else pl.DataFrame(schema=STACK_TEST_SCHEMA)
        )
        inputs = DetectorInputs(hourly, outlets, stack)
        state = con.sql(f"select * from {schema}.{sql_rules.STATE_MODEL}").pl()
        detector_seconds["inputs"] = time.perf_counter() - t0
        memos = _read_memos(con)
        judged = judge_by_month(inputs, state, cfg, detector_seconds, memos, kept=_read_months(con))
        findings = consolidate(
            concat_findings([read_sql_findings(con), judged.findings]), inputs.outlets
        )
        _write_memos(con, memos)
        _write_months(con, judged.months)
        windows = (judged.judged, judged.kept)
    else:
        inputs = None
        findings = empty_findings()
        windows = (0, 0)
    stored = findings.select(list(FINDINGS_SCHEMA)).with_columns(pl.lit(build_id).alias("build_id"))
    _write(con, "marts.monitoring_anomalies", stored)
    ranking = rank(
        findings,
        _outlet_months(inputs.hourly, inputs.outlets)
        if inputs
        else _outlet_months(pl.DataFrame(), pl.DataFrame()),
    )
    _write(
        con, "marts.anomaly_risk_ranking", ranking.with_columns(pl.lit(build_id).alias("build_id"))
    )
    names = _enterprise_names(con)
    report = None
    if report_dir is not None:
        report = write_report(
            Path(report_dir) / "anomalies.html",
            findings,
            inputs.hourly if inputs else pl.DataFrame(schema={"mn": pl.String}),
            inputs.outlets if inputs else pl.DataFrame(schema={"mn": pl.String}),
            ranking,
            build_id,
            names,
        )
    by_type = (
        dict(sorted(findings.group_by("anomaly_type").len().iter_rows())) if findings.height else {}
    )
    return DetectionSummary(
        by_type=by_type,
        findings=findings.height,
        outlets_with_findings=findings["mn"].n_unique() if findings.height else 0,
        report_path=report,
        seconds=time.perf_counter() - t0,
        detector_seconds=detector_seconds,
        windows_judged=windows[0],
        windows_kept=windows[1],
    )
