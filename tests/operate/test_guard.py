"""The shrink guard's rules, on measures and on a small real warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project import guard

PREVIOUS = {
    "feed:registry_enterprises": 60.0,
    "feed:registry_outlets": 99.0,
    "feed:registry_outlet_limits": 77.0,
    "feed:cems": 965_626.0,
    "feed:boilers": 18.0,
    "enterprises": 60.0,
    "outlets": 99.0,
    "cems_outlet_hours": 55_394.0,
    "total_t:so2": 12.5,
}
FILES = {"registry_enterprises": 1, "registry_outlets": 1, "registry_outlet_limits": 1, "cems": 26}


def _kinds(problems: list[guard.Problem]) -> dict[str, str]:
    return {p.measure: p.kind for p in problems}


def test_an_unchanged_or_growing_warehouse_passes() -> None:
    current = {**PREVIOUS, "feed:cems": 1_000_000.0, "total_t:so2": 12.4}  # -0.8 %
    assert guard.judge(set(PREVIOUS), PREVIOUS, current, {**FILES, "boilers": 6}) == []


def test_a_missing_feed_folder_fails_even_though_old_rows_remain() -> None:
    # the CEMS folder is gone: raw.cems_values still holds the rows of the previous build
    files = {k: v for k, v in FILES.items() if k != "cems"}
    problems = guard.judge({"feed:cems"}, PREVIOUS, PREVIOUS, files)
    assert _kinds(problems) == {"feed:cems": "missing"}
    assert problems[0].line() == (
        "feed cems: no file in this build's sources (previous warehouse: 965,626)"
    )


def test_an_empty_feed_and_a_halved_registry_fail_with_counts() -> None:
    current = {**PREVIOUS, "feed:boilers": 0.0, "enterprises": 30.0}
    problems = guard.judge(set(PREVIOUS), PREVIOUS, current, {**FILES, "boilers": 6})
    assert _kinds(problems) == {"feed:boilers": "empty", "enterprises": "dropped"}
    assert "enterprises: 30, down 50% from 60" in [p.line() for p in problems]


def test_the_threshold_is_configurable() -> None:
    current = {**PREVIOUS, "total_t:so2": 10.0}  # -20 %
    assert _kinds(guard.judge({"total_t:so2"}, PREVIOUS, current)) == {"total_t:so2": "dropped"}
    assert guard.judge({"total_t:so2"}, PREVIOUS, current, max_drop=0.25) == []


def test_a_first_build_needs_only_the_required_feeds() -> None:
    current = {"feed:registry_enterprises": 5.0, "feed:boilers": 0.0, "enterprises": 5.0}
    names = {"feed:registry_enterprises", "feed:boilers", "enterprises", "feed:cems"}
    problems = guard.judge(names, None, current, {"registry_enterprises": 1})
    assert _kinds(problems) == {"feed:cems": "missing"}


def test_a_feed_the_previous_warehouse_lacked_may_stay_absent() -> None:
    previous = {**PREVIOUS, "feed:kilns": 0.0}
    assert guard.judge({"feed:kilns"}, previous, {"feed:kilns": 0.0}, FILES) == []


def test_measure_reads_feeds_registry_hours_and_totals(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw; create schema marts; create schema audit")
    con.execute("create table raw.registry_enterprises as select * from (values ('E1'), ('E2'))")
    con.execute("alter table raw.registry_enterprises rename col0 to enterprise_id")
    con.execute(
        "create table marts.cems_hourly as select * from (values ('m1', 1), ('m1', 1), ('m2', 1))"
        " t(mn, hour_start)"
    )
    con.execute(
        "create table marts.emissions as select * from "
        "(values ('so2', 0.1), ('so2', 0.2), ('nox', 1.0)) t(pollutant, emissions_t)"
    )
    con.execute("create table audit.load_log (build_id varchar, feed varchar)")
    con.execute("insert into audit.load_log values ('b1', 'cems'), ('b1', 'cems'), ('b0', 'voc')")
    found = guard.measure(con)
    assert found == {
        "feed:registry_enterprises": 2.0,
        "enterprises": 2.0,
        "cems_outlet_hours": 2.0,
        "total_t:nox": 1.0,
        "total_t:so2": 0.3,
    }
    assert guard.files_this_build(con, "b1") == {"cems": 2}
    # a check asks for its own measures only: the CEMS values (a view over the lake) are not
    # counted for the registry's check
    lake = tmp_path / "values.parquet"
    con.execute(f"copy (select 1 as v) to '{lake}'")
    con.execute(f"create view raw.cems_values as select * from read_parquet('{lake}')")
    lake.unlink()  # counting it now would fail
    assert guard.measure(con, {"enterprises", "total_t:so2"}) == {
        "enterprises": 2.0,
        "total_t:so2": 0.3,
    }


def test_settings_round_trip_through_the_build_folder(tmp_path: Path) -> None:
    settings = guard.GuardSettings(PREVIOUS, 0.2, accept_shrink=True)
    settings.write(tmp_path / "b" / "guard.json")
    assert guard.GuardSettings.read(tmp_path / "b" / "guard.json") == settings
    assert guard.GuardSettings.read(None) == guard.GuardSettings(previous=None)
