"""End to end: build real warehouses from the embedded sample through the Dagster definitions."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from dagster_project import build, warehouse
from dagster_project.build import BuildFailed, run_build
from dagster_project.defs.transform.project import DBT_DIR, dbt_env
from dagster_project.feeds.contracts import LEDGER_FEEDS
from dagster_project.generator import generate
from dagster_project.generator.packets import reframe
from tests.conftest import SAMPLE_SOURCES, export_tree


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
    target = root / "warehouse.duckdb"
    summary = run_build(
        SAMPLE_SOURCES, target, root / "exports", instance=dg.DagsterInstance.ephemeral()
    )
    return summary, target, root


def _count(path: Path, sql: str) -> int:
    con = warehouse.connect(path, read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_every_raw_table_is_filled(sample_build) -> None:
    _, target, _ = sample_build
    for spec in LEDGER_FEEDS:
        assert _count(target, f"select count(*) from raw.{spec.table}") > 0, spec.table
    assert _count(target, "select count(*) from raw.cems_values") > 10_000


def test_counts_reconcile_per_file(sample_build) -> None:
    summary, target, _ = sample_build
    assert (
        _count(
            target,
            "select count(*) from audit.load_log where rows_read <> rows_loaded + rows_rejected",
        )
        == 0
    )
    for feed in summary.feeds:
        assert feed.rows_read == feed.rows_loaded + feed.rows_rejected, feed
        rejected = _count(
            target,
            f"select count(*) from audit.rejected_records "
            f"where feed = '{feed.feed}' and build_id = '{summary.build_id}'",
        )
        assert rejected == feed.rows_rejected, feed.feed
    # The sample carries a few corrupted packets on purpose: they must show up as rejects.
    assert _count(target, "select count(*) from audit.rejected_records where feed = 'cems'") > 0


def test_staging_and_cems_hourly_are_built(sample_build) -> None:
    _, target, _ = sample_build
    views = _count(
        target,
        "select count(*) from information_schema.tables "
        "where table_schema = 'staging' and table_name like 'stg_%'",
    )
    assert views >= 11
    assert _count(target, "select count(*) from marts.cems_hourly") > 1_000
    assert _count(target, "select count(*) from marts.cems_hourly where is_valid") > 0
    # The mass follows from concentration and flow (kg = mg/m3 * m3/s * 3600 * 1e-6).
    assert (
        _count(
            target,
            """select count(*) from marts.cems_hourly
        where is_valid and abs(mass_kg - avg_measured * flow_m3_s * 3600 * 1e-6) > 1e-6""",
        )
        == 0
    )


def test_summary_reports_feeds_and_registry_check(sample_build) -> None:
    summary, _, _ = sample_build
    text = summary.render()
    assert "registry_enterprises" in text and "cems" in text
    assert any(c.name == "registry_expectations" for c in summary.checks)


def test_build_with_only_registry_and_cems(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    for folder in ("registry", "cems"):
        shutil.copytree(SAMPLE_SOURCES / folder, sources / folder)
    target = tmp_path / "warehouse.duckdb"
    summary = run_build(
        sources, target, tmp_path / "exports", instance=dg.DagsterInstance.ephemeral()
    )
    assert _count(target, "select count(*) from raw.boilers") == 0
    assert _count(target, "select count(*) from marts.cems_hourly") > 1_000
    assert {f.feed for f in summary.feeds} >= {"registry_enterprises", "cems"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _previous(sample_build, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the sample warehouse as the previous one, and its sha256."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copy2(sample_build[1], target)
    return target, _sha(target)


def test_failed_build_leaves_previous_warehouse_intact(
    sample_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, before = _previous(sample_build, tmp_path)
    stale = tmp_path / ".warehouse.duckdb.building-killed"
    stale.write_bytes(b"half-built by a killed build")

    import dagster_project.feeds.ingest as ingest

    def broken(*args, **kwargs):
        raise OSError("disk full while loading")

    monkeypatch.setattr(ingest, "ingest_feed", broken)
    with pytest.raises(BuildFailed, match="disk full"):
        run_build(
            SAMPLE_SOURCES, target, tmp_path / "exports", instance=dg.DagsterInstance.ephemeral()
        )
    assert _sha(target) == before
    assert not list(tmp_path.glob(".warehouse.duckdb.building-*"))


def test_build_exports_the_inventory_and_the_inspector_report(sample_build) -> None:
    import json

    _, _, root = sample_build
    manifest = json.loads((root / "exports" / "2023" / "manifest.json").read_text())
    assert manifest["warnings"] == []
    assert manifest["totals_check"] and all(t["ok"] for t in manifest["totals_check"])
    assert (root / "exports" / "2023" / "lantian_2023_inventory.xlsx").exists()
    report = (root / "exports" / "reports" / "anomalies.html").read_text()
    assert "<svg" in report


def test_anomalies_are_summarised_by_type(sample_build) -> None:
    summary, target, _ = sample_build
    # The sample holds three planned exceedances (generator events) and logger outages, and
    # nothing else the detectors should call: shutdowns, daily calibrations, maintenance and a
    # high-but-legal day are clean traps.
    assert summary.anomalies_by_type.get("exceedance", 0) == 3
    assert set(summary.anomalies_by_type) == {"exceedance", "missing_data"}
    assert sum(summary.anomalies_by_type.values()) == _count(
        target, "select count(*) from marts.monitoring_anomalies"
    )
    # each exceedance names the standard behind its outlet's limit (seeded, with its status)
    con = warehouse.connect(target, read_only=True)
    try:
        bases = [
            r[0]
            for r in con.execute(
                "select rule_basis from marts.monitoring_anomalies "
                "where anomaly_type = 'exceedance'"
            ).fetchall()
        ]
    finally:
        con.close()
    assert bases and all(b.startswith("D01") and "GB " in b and "HJ 76" not in b for b in bases)


def test_ambient_dustfall_and_ranking_marts_are_filled(sample_build) -> None:
    _, target, _ = sample_build
    for table in (
        "raw.ambient_hourly",
        "raw.ambient_daily",
        "raw.dustfall",
        "marts.air_quality_daily",
        "marts.air_quality_monthly",
        "marts.air_quality_rankings",
        "marts.dustfall_township_monthly",
        "marts.dustfall_exceedances",
        "marts.road_dust_township_monthly",
        "marts.township_air_and_emissions",
        "marts.township_top_emitters",
    ):
        assert _count(target, f"select count(*) from {table}") > 0, table
    # every township ranked by PM2.5 in November; the task-33 SO2 hotspots are found
    assert (
        _count(
            target,
            """select count(*) from marts.air_quality_rankings
        where scope = 'township' and metric = 'pm25' and period_type = 'month'
          and period_month = '2023-11-01' and is_ranked""",
        )
        == 11
    )
    assert (
        _count(
            target,
            """select count(distinct station_name) from marts.air_quality_hotspots
        where pollutant = 'so2' and station_name in ('市政府', '国土资源局')""",
        )
        == 2
    )
    # the duplicate hourly record and the knocked-over dust sampler are rejects, not losses
    assert (
        _count(
            target,
            """select count(*) from audit.rejected_records
        where feed in ('ambient_hourly', 'dustfall')""",
        )
        == 2
    )


def test_overview_renders_headless_with_every_section(sample_build, tmp_path: Path) -> None:
    from dagster_project.reports.overview import SECTIONS
    from tests.reports.headless import chromium, render

    if chromium() is None:
        pytest.skip("chromium not installed")
    _, _, root = sample_build
    page = root / "exports" / "reports" / "overview.html"
    shot = Path(os.environ.get("LANTIAN_SCREENSHOT_DIR", tmp_path)) / "overview.png"
    result = render(page, shot)
    assert result.errors == []
    assert [u for u in result.requests if not u.startswith(("file://", "data:"))] == []
    assert [s["id"] for s in result.sections] == [sid for sid, _ in SECTIONS]
    for section in result.sections:
        assert section["height"] > 60 and (section["svgs"] or section["rows"] > 1), section
    assert shot.stat().st_size > 50_000


def test_overview_escapes_input_text(sample_build, tmp_path: Path) -> None:
    from dagster_project.reports.overview import write_overview

    _, built, _ = sample_build
    copy = tmp_path / "w.duckdb"
    shutil.copy2(built, copy)
    con = warehouse.connect(copy)
    try:
        con.execute(
            "update raw.registry_enterprises set name = '<script>alert(1)</script>&' "
            "where enterprise_id = (select enterprise_id from marts.emissions "
            "group by 1 order by sum(emissions_t) desc limit 1)"
        )
        page = write_overview(con, tmp_path / "overview.html", "x")
    finally:
        con.close()
    text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in text


def test_a_full_disk_is_named_and_keeps_the_previous_warehouse(
    sample_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing writer injected where the build first writes: copying the previous warehouse."""
    import errno

    target, before = _previous(sample_build, tmp_path)

    def full(source: Path, dest: Path, **_: object) -> None:
        Path(dest).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(dest))

    monkeypatch.setattr("dagster_project.build.shutil.copy2", full)
    with pytest.raises(OSError) as raised:
        run_build(SAMPLE_SOURCES, target, instance=dg.DagsterInstance.ephemeral())
    from dagster_project.operate.errors import root_cause

    assert root_cause(raised.value).startswith("disk full: [Errno 28] No space left on device")
    assert _sha(target) == before
    assert not list(tmp_path.glob(".warehouse.duckdb.building-*"))
    log = next((tmp_path / ".lantian" / "builds").glob("*/build.log")).read_text()
    assert "build failed: disk full" in log and "Traceback" in log  # the full story on disk


def test_export_of_a_year_without_data_exits_2_and_writes_nothing(
    sample_build, tmp_path: Path
) -> None:
    from dagster_project.cli import main

    _, target, _ = sample_build
    out = tmp_path / "2022"
    assert main(["export", "--year", "2022", "--out", str(out), "--warehouse", str(target)]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_two_builds_of_the_sample_export_the_same_bytes(sample_build, tmp_path: Path) -> None:
    _, _, root = sample_build
    run_build(
        SAMPLE_SOURCES, tmp_path / "warehouse.duckdb", instance=dg.DagsterInstance.ephemeral()
    )
    first, second = export_tree(root / "exports"), export_tree(tmp_path / "exports")
    assert len(first) > 40 and sorted(first) == sorted(second)
    assert [name for name in sorted(first) if first[name] != second[name]] == []


INCREMENTAL_MODELS = (
    "int_cems__minutes_aggregated_to_hours",
    "int_cems__hourly_combined",
    "int_cems__hourly_pollutants",
    "cems_hourly",
    "int_cems__hourly_grid",
    "int_anomalies__hourly_input",
    "cems_hourly_substituted",
)


def _late_packets(sources: Path) -> str:
    """The hour a logger missed on 20 November (17:00), sent days later, and a re-sent copy
    of the hour before it."""
    log = sources / "cems/huagong/41088302706788FF077EBB5D_202311.log.gz"
    lines = gzip.decompress(log.read_bytes()).decode().splitlines(keepends=True)
    before = next(x for x in lines if "CN=2061" in x and "DataTime=20231120160000" in x)
    segment = before.rstrip()[6:-4].replace("DataTime=20231120160000", "DataTime=20231120170000")
    return reframe(segment) + before


def _rows(path: Path, table: str) -> set[tuple]:
    con = warehouse.connect(path, read_only=True)
    try:
        return set(con.execute(f"select * from {table}").fetchall())
    finally:
        con.close()


def _unit_tests_run(state: Path, build_id: str) -> int:
    results = json.loads((state / "builds" / build_id / "dbt" / "run_results.json").read_text())
    return sum(r["unique_id"].startswith("unit_test.") for r in results["results"])


def _parquet_scan_filters(node: dict) -> list[list[str]]:
    """The filters of every Parquet scan in a JSON query plan."""
    found = []
    if node.get("name") == "READ_PARQUET":
        filters = (node.get("extra_info") or {}).get("Filters") or []
        found.append([filters] if isinstance(filters, str) else list(filters))
    for child in node.get("children", []):
        found += _parquet_scan_filters(child)
    return found


def test_a_day_filter_on_the_readings_view_reaches_the_lake_scans(sample_build) -> None:
    """The CEMS models read one day of readings through int_cems__readings_pivoted: its day filter
    must reach the Parquet scans (row groups of other days skipped), not follow a whole-lake
    read (what a CTE the view reads three times did, held by DuckDB)."""
    _, built, _ = sample_build
    con = warehouse.connect(built, read_only=True)
    try:
        plan = con.execute(
            "explain (format json) select count(*) from intermediate.int_cems__readings_pivoted "
            "where cn = '2051' and data_time >= timestamp '2023-11-20' "
            "and data_time < timestamp '2023-11-21'"
        ).fetchall()
    finally:
        con.close()
    scans = [f for root in json.loads(plan[0][1]) for f in _parquet_scan_filters(root)]
    reading_scans = [f for f in scans if "needs_merge" not in f]  # the merge keys: see the view
    assert reading_scans, scans
    assert all(any("data_time >=" in x for x in f) for f in reading_scans), scans


def test_a_new_day_and_late_data_rebuild_their_days_as_a_full_refresh_would(
    sample_build, tmp_path: Path
) -> None:
    _, built, root = sample_build
    work = tmp_path / "wh"  # last night's warehouse and its lake, as the next build finds them
    work.mkdir()
    shutil.copy2(built, work / "warehouse.duckdb")
    shutil.copytree(root / "warehouse.lake", work / "warehouse.lake")
    sources = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, sources)
    next_day = generate(tmp_path / "next", start=date(2023, 12, 1), days=1)  # the same county
    for rel in next_day.files:
        if rel.startswith("cems/"):
            shutil.copy2(tmp_path / "next" / rel, sources / rel)
    (sources / "cems/huagong/late_20231201.log").write_text(_late_packets(sources))

    target = work / "warehouse.duckdb"
    summary = run_build(
        sources, target, tmp_path / "exports", instance=dg.DagsterInstance.ephemeral()
    )
    # the dbt unit tests passed on last night's warehouse with this project: not run again
    assert _unit_tests_run(root / ".lantian", sample_build[0].build_id) > 0
    assert _unit_tests_run(work / ".lantian", summary.build_id) == 0
    days = _rows(target, "audit.cems_rebuild_days")
    assert days == {(date(2023, 11, 20),), (date(2023, 12, 1),)}
    assert (
        _count(
            target,
            "select count(*) from audit.rejected_records "
            "where source_file like '%late_20231201.log' and line_no = 2 and reason = 'duplicate'",
        )
        == 1
    )
    assert (
        _count(
            target,
            "select count(*) from marts.cems_hourly where mn = '41088302706788FF077EBB5D' "
            "and hour_start = timestamp '2023-11-20 17:00:00'",
        )
        > 0
    )

    # the same warehouse with every incremental model rebuilt from scratch: the same rows
    full = tmp_path / "full.duckdb"
    shutil.copy2(target, full)
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "run",
            "--full-refresh",
            "--select",
            *INCREMENTAL_MODELS,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp_path / "dbt_target"),
            "--log-path",
            str(tmp_path / "dbt_logs"),
        ],
        env={**dbt_env(), warehouse.WAREHOUSE_ENV: str(full)},
        check=True,
        capture_output=True,
    )
    for model in INCREMENTAL_MODELS:
        schema = "marts" if model.startswith("cems_") else "intermediate"
        assert _rows(target, f"{schema}.{model}") == _rows(full, f"{schema}.{model}"), model

    # no ledger changed: every ledger feed was left as last night's build read it ...
    ledger_rows = _count(
        target,
        f"select count(*) from audit.load_log where build_id = '{summary.build_id}' "
        "and feed <> 'cems'",
    )
    assert ledger_rows > 0
    assert ledger_rows == _count(
        target,
        f"select count(*) from audit.load_log where build_id = '{summary.build_id}' "
        "and feed <> 'cems' and note = 'unchanged, skipped'",
    )
    # ... so dbt rebuilt what the CEMS data feeds, with its tests, and left the rest alone
    ran = _dbt_nodes_run(work / ".lantian", summary.build_id)
    assert {"model.lantian.cems_hourly", "model.lantian.emissions"} <= ran
    assert any(n.startswith("test.lantian.") and "cems_hourly" in n for n in ran)
    # a test between a rebuilt model and one left alone runs
    assert any(
        n.startswith("test.lantian.relationships_cems_hourly") and "stg_registry" in n for n in ran
    )
    assert not ran & {"model.lantian.stg_registry__enterprises", "model.lantian.air_quality_daily"}
    assert not any(n.startswith("seed.") for n in ran)
    # the data tests left alone report the complete build's results, marked as not re-run: the
    # nightly's summary and Dagster see every test
    dbt_checks = [c for c in summary.checks if c.kind == "dbt"]
    carried = {c.name for c in dbt_checks if c.detail == build.NOT_RE_RUN}
    assert len(dbt_checks) == len([c for c in sample_build[0].checks if c.kind == "dbt"])
    assert carried and not any(n.split(".")[2] in carried for n in ran if n.startswith("test."))
    assert any("stg_registry__enterprises" in name for name in carried)
    assert f"{len(carried)} of them {build.NOT_RE_RUN}" in summary.render()
    # and every mart equals a full build of the same sources from scratch
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    run_build(
        sources,
        fresh,
        tmp_path / "fresh_exports",
        full_refresh=True,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert len(_dbt_nodes_run(fresh.parent / ".lantian", None)) > len(ran)
    marts = _tables(fresh, "marts")
    assert "marts.monitoring_anomalies" in marts and _tables(target, "marts") == marts
    for table in sorted(marts):
        _assert_same_rows(target, fresh, table)


def _dbt_nodes_run(state: Path, build_id: str | None) -> set[str]:
    """The dbt nodes a build ran (the only build of the state folder when build_id is None)."""
    folder = next((state / "builds").glob("*")) if build_id is None else state / "builds" / build_id
    results = json.loads((folder / "dbt" / "run_results.json").read_text())
    return {r["unique_id"] for r in results["results"]}


def _tables(path: Path, schema: str) -> set[str]:
    con = warehouse.connect(path, read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        return {f"{schema}.{name}" for (name,) in rows}
    finally:
        con.close()


def _numbers_equal(a: object, b: object) -> bool:
    """Equal, but for one unit in the last place a number is written to: DuckDB's parallel
    avg() and sum() of doubles add in no fixed order, so two builds of the same rows differ in
    the last bits (marts.cems_daily's means do), and a value rounded to 6 decimals from such a
    sum may land one step either side."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return abs(a - b) <= Decimal(1).scaleb(min(a.as_tuple().exponent, 0))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1.01e-6)
    return a == b


def _sort_key(row: tuple) -> tuple:
    return tuple(
        (0, round(float(v), 3), "") if isinstance(v, float | Decimal) else (v is None, 0, str(v))
        for v in row
    )


def _assert_same_rows(left: Path, right: Path, table: str) -> None:
    """The table holds the same rows in both warehouses (in any order), but for the id of the
    build that wrote them and the last place of numbers (_numbers_equal)."""
    got = []
    for path in (left, right):
        con = warehouse.connect(path, read_only=True)
        try:
            names = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            columns = [name for name in names if name != "build_id"]
            rows = con.execute(f"select {', '.join(columns)} from {table}").fetchall()
            got.append(sorted(rows, key=_sort_key))
        finally:
            con.close()
    assert len(got[0]) == len(got[1]), table
    for a, b in zip(*got, strict=True):
        differ = [
            (c, x, y) for c, x, y in zip(columns, a, b, strict=True) if not _numbers_equal(x, y)
        ]
        assert not differ, (table, a[:2], differ)
