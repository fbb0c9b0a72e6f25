"""The second world: deterministic, in the delivered formats, with the habits and physics its
README promises (a few days of packets; activity and tests for the whole year)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fallback.world import write_world
from fallback.world.calendar import Hours
from fallback.world.mix import build_plants
from fallback.world.physics import simulate

from dagster_project import warehouse
from dagster_project.feeds.contracts import LEDGER_FEEDS
from dagster_project.feeds.ingest import ingest_feed
from dagster_project.hj212.parse import parse_files

START, DAYS = date(2023, 6, 28), 4
# the ledger feeds the world writes (no transport or ambient air-quality feeds)
WRITTEN = {"registry_enterprises", "registry_outlets", "registry_outlet_limits", "boilers", "kilns"}
WRITTEN |= {"voc", "activity", "manual_tests"}


def _digest(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("world")
    summary = write_world(root / "src", 11, START, DAYS, root / "truth.csv")
    return summary, root


def test_same_seed_same_bytes_other_seed_other_county(world, tmp_path: Path) -> None:
    _, root = world
    write_world(tmp_path / "again", 11, START, DAYS)
    write_world(tmp_path / "other", 12, START, DAYS)
    assert _digest(tmp_path / "again") == _digest(root / "src")
    assert _digest(tmp_path / "other") != _digest(root / "src")


def test_every_packet_parses_and_covers_only_the_window(world) -> None:
    summary, root = world
    result = parse_files(sorted((root / "src" / "cems").rglob("*.txt*")))
    assert result.counts["packets_valid"] == summary.packets > 0
    assert result.rejects.height == 0
    times = result.values["data_time"]
    assert times.min().date() >= START and times.max().date() < date(2023, 7, 2)
    assert result.values["mn"].n_unique() == summary.cems_outlets == 19


def test_ledgers_load_against_the_contracts_without_rejects(world, tmp_path: Path) -> None:
    _, root = world
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        stats = {s.feed: ingest_feed(con, s, root / "src", "b1") for s in LEDGER_FEEDS}
    finally:
        con.close()
    for feed, st in stats.items():
        assert st.rows_rejected == 0, (feed, st.notes)
        assert (st.rows_loaded > 0) == (feed in WRITTEN), feed


def test_truth_sums_the_physics_and_voc_is_measured_as_carbon(world) -> None:
    _, root = world
    rows = duckdb.sql(
        f"select pollutant_code, sum(stack_t), sum(as_measured_t), sum(fugitive_t) "
        f"from read_csv('{root / 'truth.csv'}') group by 1"
    ).fetchall()
    by = {code: (s, m, f) for code, s, m, f in rows}
    assert set(by) == {"a34013", "a21026", "a21002", "a21001", "a24088"}
    stack, measured, fugitive = by["a24088"]
    assert measured < stack and fugitive > 0
    assert by["a21026"][0] == pytest.approx(by["a21026"][1])


def test_physics_sulfur_never_exceeds_the_fuel_except_glass_batch_sulfate() -> None:
    h = Hours.of_year(2023)
    plants = build_plants(11)
    years = simulate([u for p in plants for u in p.units], h, 11)
    for y in years.values():
        if "so2" not in y.kg or y.sulfur_pct is None:
            continue
        fuel = sum(
            v for (cat, item, _), v in y.activity.items() if cat == "fuel" and item != "天然气"
        )
        sulfur_t = float((fuel * y.sulfur_pct[h.month - 1] / 100).sum())
        so2_t = float(y.kg["so2"].sum()) / 1000
        assert so2_t <= 2 * sulfur_t or y.unit.kind == "glass_furnace", y.unit


def test_reporting_habits() -> None:
    h = Hours.of_year(2023)
    plants = build_plants(11)
    kinds = {u.kind for p in plants for u in p.units}
    assert {"cupola", "glass_furnace", "producer_gas_generator", "clinker_kiln"} <= kinds
    chp = next(
        p for p in plants if p.name.endswith("热电有限公司") and p.units[0].kind == "coal_boiler"
    )
    assert {u.reports for u in chp.units} == {"enterprise"}
    assert any("constant_sulfur" in p.habits for p in plants)
    assert sum("lumpy_purchases" in p.habits for p in plants) >= 3
    assert any(
        u.stack and u.stack.mn and not u.stack.marks_stopped for p in plants for u in p.units
    )
    assert h.n == 8760
