"""The substituted hours recompute only what a day's data can move (the rest of its quarter and
after, the gap running into the quarter, the hours before a first valid hour when the pair's
maximum moved) over the valid hours they look back on, and hold each time the rows a full refresh
gives. A scratch dbt project: the project's hourly grid, quarterly valid rate and substituted
hours over a stub of the pollutant hours and of the registry, with short lookbacks (10 and 30
valid hours) so that a few months of data exercise them."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.defs.transform.project import DBT_DIR
from tests.dbt_scratch import run_dbt, scratch_project, write_pollutant_hours

MODELS = {
    "intermediate": ["int_cems__hourly_grid"],
    "marts": ["cems_quarterly_valid_rate", "cems_hourly_substituted"],
}
STUBS = {
    "int_cems__hourly_pollutants": "select * from main.hours_in",
    "stg_registry__outlets": """
        select * from (values ('MN1', 'E1', 'DA001', 'boiler', 9.0), ('MN2', 'E2', 'DA001',
            'kiln', 18.0)) as t(mn, enterprise_id, outlet_id, source_kind, reference_o2)""",
    "stg_registry__outlet_limits": """
        select 'MN1' as mn, 'a21026' as pollutant_code, 35.0 as limit_mg_m3,
               200.0 as analyzer_range, 1.0 as detection_limit""",
}
SUBSTITUTED = "marts.cems_hourly_substituted"


def _project(tmp_path: Path) -> Path:
    project = scratch_project(
        tmp_path / "dbt",
        STUBS,
        """
        on-run-end: ["{{ cems_remember_registry() }}"]
        vars:
          substitution_high_capture_rate: 0.9
          substitution_short_gap_max_hours: 24
          substitution_lookback_short_hours: 10
          substitution_lookback_long_hours: 30
          method_cems_min_quarter_valid_rate: 0.75
        models:
          lantian:
            intermediate: {+schema: intermediate, +materialized: table}
            marts: {+schema: marts, +materialized: table}
            stubs:
              +materialized: view
              int_cems__hourly_pollutants: {+schema: intermediate}
              stg_registry__outlets: {+schema: staging}
              stg_registry__outlet_limits: {+schema: staging}
        """,
        "{{ env_var('SUBSTITUTION_TEST_WAREHOUSE') }}",
    )
    for folder, names in MODELS.items():
        (project / "models" / folder).mkdir()
        for name in names:
            source = next((DBT_DIR / "models").rglob(f"{name}.sql"))
            shutil.copy(source, project / "models" / folder)
    return project


def _dbt(project: Path, warehouse: Path, *args: str) -> None:
    run_dbt(project, {"SUBSTITUTION_TEST_WAREHOUSE": str(warehouse)}, *args)


def _hours(mn: str, pol: str, first: date, days: int, mass: float, every: int = 1) -> list[tuple]:
    """Hourly rows from `first` for `days` days: valid, except one hour in seven invalid (D) and
    every hour not a multiple of `every` missing; the mass wanders with the hour."""
    start = datetime(first.year, first.month, first.day)
    rows = []
    for h in range(24 * days):
        if h % every:
            continue
        valid = h % 7 != 3
        rows.append(
            (mn, pol, start + timedelta(hours=h), valid, "N" if valid else "D", True,
             mass * (1 + (h * 37 % 11) / 10), 20.0, 21.0)
        )  # fmt: skip
    return rows


def _stopped(mn: str, pol: str, first: date, days: int) -> list[tuple]:
    start = datetime(first.year, first.month, first.day)
    return [
        (mn, pol, start + timedelta(hours=h), False, "Sd", False, None, None, None)
        for h in range(24 * days)
    ]


def _rows(warehouse: Path, where: str = "true") -> list[tuple]:
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(f"select * from {SUBSTITUTED} where {where} order by all").fetchall()
    finally:
        con.close()


def _sql(project: Path, kind: str) -> str:
    """The model's SQL as compiled (`compiled`) or as run (`run`: the incremental strategy's)."""
    return next((project / "target" / kind).rglob("cems_hourly_substituted.sql")).read_text()


def test_substituted_hours_recompute_what_a_day_can_move_and_equal_a_full_refresh(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    project = _project(tmp_path)
    d0 = date(2024, 1, 1)
    day = [d0 + timedelta(days=k) for k in range(140)]
    so2, nox = "a21026", "a21002"
    year = (
        # MN1 SO2: a first month with every other hour missing, a stop of most of the spring
        # (the 30 valid hours before April lie far back), running again from 20 March
        _hours("MN1", so2, day[0], 31, 5.0, every=2)
        + _stopped("MN1", so2, day[31], 48)
        + _hours("MN1", so2, day[79], 45, 4.0)
        # MN1 NOx: nothing valid until 10 January (its first hours take the pair's maximum)
        + [(*r[:3], False, "C", *r[5:]) for r in _hours("MN1", nox, day[0], 9, 9.0)]
        + _hours("MN1", nox, day[9], 115, 9.0, every=3)
    )
    # a gap across the quarter's first hour: SO2 missing from 31 March 20:00 to 1 April 03:00
    gap = (datetime(2024, 3, 31, 20), datetime(2024, 4, 1, 4))
    year = [r for r in year if not (r[1] == so2 and gap[0] <= r[2] < gap[1])]
    write_pollutant_hours(warehouse, year, day[:124])
    _dbt(project, warehouse)
    nox_first_hours = "mn = 'MN1' and pollutant_code = 'a21002' and hour_start < '2024-01-10'"
    before = _rows(warehouse, nox_first_hours)
    steps = [
        # the next day of both pairs: from the last valid hour before the second quarter on
        (_hours("MN1", so2, day[124], 1, 4.0) + _hours("MN1", nox, day[124], 1, 9.0), [day[124]]),
        # late data of a day of the first quarter: from that quarter's gap on
        ([("MN1", nox, datetime(2024, 3, 25, 5), True, "N", True, 12.0, 20.0, 21.0)], [day[84]]),
        # late data inside that gap: the gap's hours of March have another next valid hour
        ([("MN1", so2, datetime(2024, 4, 1, 2), True, "N", True, 6.0, 20.0, 21.0)], [day[91]]),
        # NOx above its maximum: its hours before its first valid hour take the new one
        (_hours("MN1", nox, day[125], 1, 30.0), [day[125]]),
        # a new pair: every row again
        (_hours("MN2", so2, day[125], 1, 2.0), [day[125]]),
    ]
    for k, (rows, rebuild) in enumerate(steps):
        write_pollutant_hours(warehouse, rows, rebuild)
        _dbt(project, warehouse)
        # the rows a day can move, or every row (the pairs changed)
        assert ("substitution_pairs" in _sql(project, "compiled")) == (k < 4), f"step {k}"
        assert (" using " in _sql(project, "run")) == (k < 4), f"step {k}"
        full = tmp_path / "full.duckdb"
        shutil.copy(warehouse, full)
        _dbt(project, full, "--full-refresh")
        assert _rows(warehouse) == _rows(full), f"step {k}"
    after = _rows(warehouse, nox_first_hours)
    assert [r[10] for r in after] != [r[10] for r in before]  # substituted_mass_kg moved
