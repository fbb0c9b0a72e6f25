"""The hourly grid lays only the rebuilt days again when the coverage grows by them, and every day
when its pairs or its coverage changed beyond them; each time it holds the rows a full refresh
gives. A scratch dbt project: the project's grid model and macros over a stub of the pollutant
hours (a table the test writes), with the registry stubs `cems_registry_changed` reads."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.defs.transform.project import DBT_DIR
from tests.dbt_scratch import run_dbt, scratch_project, write_pollutant_hours

GRID = "int_cems__hourly_grid"
STUBS = {
    "int_cems__hourly_pollutants": "select * from main.hours_in",
    "stg_registry__outlets": """
        select 'MN1' as mn, 'E1' as enterprise_id, 'DA001' as outlet_id, 'boiler' as source_kind,
               9.0 as reference_o2""",
    "stg_registry__outlet_limits": """
        select 'MN1' as mn, 'a21026' as pollutant_code, 35.0 as limit_mg_m3,
               200.0 as analyzer_range, 1.0 as detection_limit""",
}


def _project(tmp_path: Path) -> Path:
    project = scratch_project(
        tmp_path / "dbt",
        STUBS,
        """
        on-run-end: ["{{ cems_remember_registry() }}"]
        models:
          lantian:
            intermediate: {+schema: intermediate, +materialized: table}
            stubs:
              +materialized: view
              int_cems__hourly_pollutants: {+schema: intermediate}
              stg_registry__outlets: {+schema: staging}
              stg_registry__outlet_limits: {+schema: staging}
        """,
        "{{ env_var('GRID_TEST_WAREHOUSE') }}",
    )
    (project / "models" / "intermediate").mkdir()
    shutil.copy(
        DBT_DIR / "models" / "intermediate" / "cems" / f"{GRID}.sql",
        project / "models" / "intermediate",
    )
    return project


def _dbt(project: Path, warehouse: Path, *args: str) -> None:
    run_dbt(project, {"GRID_TEST_WAREHOUSE": str(warehouse)}, *args)


def _hours(pairs: list[tuple[str, str]], day: date, hours: range) -> list[tuple]:
    start = datetime(day.year, day.month, day.day)
    return [
        (
            mn,
            pol,
            start + timedelta(hours=h),
            h % 5 != 0,
            "N" if h % 5 else "D",
            True,
            0.5,
            20.0,
            21.0,
        )
        for mn, pol in pairs
        for h in hours
    ]


def _grid(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(f"select * from intermediate.{GRID} order by all").fetchall()
    finally:
        con.close()


def _executed(project: Path) -> str:
    return next((project / "target" / "run").rglob(f"{GRID}.sql")).read_text()


def test_the_grid_lays_new_days_alone_and_everything_when_its_coverage_or_pairs_change(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    project = _project(tmp_path)
    a, b, c = ("MN1", "a21026"), ("MN1", "a21002"), ("MN2", "a21026")
    d = [date(2024, 3, 1) + timedelta(days=k) for k in range(6)]
    write_pollutant_hours(
        warehouse, _hours([a, b], d[0], range(24)) + _hours([a], d[1], range(6, 24)), d[:2]
    )
    _dbt(project, warehouse)
    steps = [
        # the next day, one pair only (the other's hours of it are missing): that day alone
        (_hours([a], d[2], range(24)), [d[2]], True),
        # a day after one without any data: the empty day falls inside the coverage
        (_hours([a, b], d[4], range(12)), [d[4]], False),
        # a pair comes: its every hour of the coverage
        (_hours([c], d[4], range(12, 24)), [d[4]], False),
        # late data of a covered day: that day alone
        (_hours([b], d[3], range(3)), [d[3]], True),
    ]
    for rows, rebuild, day_alone in steps:
        write_pollutant_hours(warehouse, rows, rebuild)
        _dbt(project, warehouse)
        executed = _executed(project)
        assert ("timestamp '" in executed) == day_alone, executed
        full = tmp_path / "full.duckdb"
        shutil.copy(warehouse, full)
        _dbt(project, full, "--full-refresh")
        assert _grid(warehouse) == _grid(full)
    hours = {(r[0], r[1]) for r in _grid(warehouse)}
    assert hours == {a, b, c}
    (missing,) = (
        duckdb.connect(str(warehouse))
        .execute(
            f"select count(*) from intermediate.{GRID} "
            "where hour_start::date = date '2024-03-04' and hour_status = 'missing'"
        )
        .fetchone()
    )
    assert missing == 3 * 24 - 3  # the day without data: every pair's hours but b's late three
