"""detect_and_store on a real DuckDB file: marts tables, risk ranking, HTML report, GX suites."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from benchmarks.detector_worlds import faults
from dagster_project.detectors import detect_and_store, run_cems_suites, sql_rules
from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FINDINGS_SCHEMA
from dagster_project.detectors.inputs import DetectorInputs, write_inputs


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, clean_county):
    hourly, outlets = clean_county
    wb = faults.Workbench.from_frames(hourly, outlets, 7)
    for t, mn, pol in (
        ("exceedance", "MN0002", "a21002"),
        ("copy_paste", "MN0003", "a21002"),
        ("o2_manipulation", "MN0004", "a34013"),
        ("capped_value", "MN0001", "a21026"),
    ):
        assert faults.CASES[t](wb, mn, pol)
    injected, _ = wb.frames()
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    write_inputs(con, DetectorInputs(injected, outlets))  # what dbt builds from marts.cems_hourly
    # the upstream relations the GX suites read (marts.cems_hourly and the registry staging views)
    con.execute("create schema marts; create schema staging")
    con.register("_h", injected.to_arrow())
    con.register("_o", outlets.to_arrow())
    con.execute("create table marts.cems_hourly as select * from _h")
    con.execute(
        "create table staging.stg_registry__outlet_limits as select mn, pollutant_code, "
        "limit_mg_m3, analyzer_range, detection_limit from _o"
    )
    con.execute(
        "create table staging.stg_registry__outlets as select distinct enterprise_id, "
        "outlet_id, mn, source_kind, reference_o2 from _o"
    )
    report_dir = path.parent / "reports"
    summary = detect_and_store(con, "test-build", report_dir)
    yield con, summary, report_dir, wb.labels
    con.close()


def test_findings_land_in_marts_with_contract_columns(warehouse):
    con, summary, _, labels = warehouse
    cols = [r[0] for r in con.execute("describe marts.monitoring_anomalies").fetchall()]
    assert cols[: len(FINDINGS_SCHEMA)] == list(FINDINGS_SCHEMA)
    by_type = dict(
        con.execute(
            "select anomaly_type, count(*) from marts.monitoring_anomalies group by 1"
        ).fetchall()
    )
    assert by_type == summary.by_type
    for lab in labels:
        assert by_type.get(lab.anomaly_type, 0) >= 1, lab
    # the SQL rules ran into intermediate tables (dbt had not built them here)
    assert (
        con.execute("select count(*) from intermediate.int_anomalies__exceedance").fetchall()[0][0]
        >= 1
    )


def test_risk_ranking_ranks_enterprises_and_outlets(warehouse):
    con, *_ = warehouse
    rank = con.sql("select * from marts.anomaly_risk_ranking").pl()
    assert set(rank["level"]) == {"enterprise", "outlet"}
    outlets = rank.filter(pl.col("level") == "outlet").sort("rank")
    assert outlets["score"].is_sorted(descending=True)
    assert set(outlets["mn"]) == {"MN0001", "MN0002", "MN0003", "MN0004"}


def test_html_report_has_one_chart_per_finding_and_no_external_assets(warehouse):
    con, summary, report_dir, _ = warehouse
    html = (report_dir / "anomalies.html").read_text(encoding="utf-8")
    n = con.execute("select count(*) from marts.monitoring_anomalies").fetchall()[0][0]
    assert html.count('<div class="card"') == n == summary.findings
    assert html.count("<svg") == n
    assert not re.search(r"<(script|link)\b", html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_sql_thresholds_in_the_models_equal_the_config():
    assert sql_rules.sql_var_defaults() == {k: float(v) for k, v in load_config()["sql"].items()}


def test_cems_suites_run_and_the_limit_suite_sees_the_exceedance(warehouse):
    con, *_ = warehouse
    results = {r.suite_name: r for r in run_cems_suites(con, "suite-test")}
    assert set(results) == {"cems_hourly_validity", "cems_hourly_ranges", "cems_hourly_limits"}
    assert results["cems_hourly_validity"].success
    assert not results["cems_hourly_limits"].success
    assert all(r.rows_validated > 0 for r in results.values())


def test_summary_times_every_statistical_detector(warehouse):
    from dagster_project.detectors.engine import CROSS_SERIES, PER_SERIES

    _, summary, _, _ = warehouse
    names = {n for n, _ in (*PER_SERIES, *CROSS_SERIES)}
    names |= {"inputs", "series", "py.reference_disagreement"}
    assert set(summary.detector_seconds) == names
    assert all(v >= 0 for v in summary.detector_seconds.values())
    assert sum(summary.detector_seconds.values()) <= summary.seconds


def test_a_second_build_keeps_the_months_whose_inputs_did_not_change(warehouse):
    con, summary, report_dir, _ = warehouse
    assert (summary.windows_judged, summary.windows_kept) == (1, 0)
    before = con.execute("select * exclude (build_id) from marts.monitoring_anomalies").fetchall()
    again = detect_and_store(con, "test-build-2", report_dir)
    assert (again.windows_judged, again.windows_kept) == (0, 1)
    after = con.execute("select * exclude (build_id) from marts.monitoring_anomalies").fetchall()
    assert after == before and again.findings == summary.findings
