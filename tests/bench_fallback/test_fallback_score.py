"""Scoring: truth from the full build's CEMS months, estimates from the withheld build's
emissions matched by outlet or MN, the metrics, and the closure checks, on small real DuckDB
files shaped like the marts and raw tables."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from fallback.report import Closure, score_table, verdict
from fallback.score import OutletMonth, Warehouses, percentile, summarise

CUT = datetime(2023, 3, 1)


def _db(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema raw")
    con.execute(sql)
    con.close()
    return path


FULL = """
create table marts.cems_monthly as select * from (values
    ('M1', 'a21026', date '2023-01-01', 'E1', 'DA001', 10.0),
    ('M1', 'a21026', date '2023-02-01', 'E1', 'DA001', 20.0),
    ('M1', 'a21026', date '2023-03-01', 'E1', 'DA001', 30.0),
    ('M2', 'a21026', date '2023-01-01', 'E2', 'DA001', 4.0),
    ('M2', 'a34013', date '2023-01-01', 'E2', 'DA001', 1.0)
) as t(mn, pollutant_code, month_start, enterprise_id, outlet_id, total_t);
create table marts.emissions as select * from (values
    ('E1', 'GL01', 'DA001', 'M1', 'so2', 'a21026', date '2023-01-01', 10.0, 'cems')
) as t(enterprise_id, unit_id, outlet_id, mn, pollutant, pollutant_code, period_month,
       emissions_t, method);
"""

WITHHELD = """
create table marts.cems_monthly as select * from (values
    ('M2', 'a21026', date '2023-01-01', 'E2', 'DA001', 4.0)
) as t(mn, pollutant_code, month_start, enterprise_id, outlet_id, total_t);
create table marts.emissions as select * from (values
    -- matched by enterprise and outlet
    ('E1', 'GL01', 'DA001', null, 'so2', 'a21026', date '2023-01-01', 12.0, 'manual_test'),
    -- matched by MN only (a row of a point with two devices)
    ('E1', 'GL01', null, 'M0,M1', 'so2', 'a21026', date '2023-02-01', 15.0, 'factor'),
    -- another outlet, another pollutant, after the cut: not this outlet-month
    ('E1', 'GL02', 'DA002', 'M9', 'so2', 'a21026', date '2023-02-01', 99.0, 'factor'),
    ('E1', 'GL01', 'DA001', 'M1', 'pm', 'a34013', date '2023-02-01', 99.0, 'factor'),
    ('E1', 'GL01', 'DA001', 'M1', 'so2', 'a21026', date '2023-03-01', 99.0, 'cems')
) as t(enterprise_id, unit_id, outlet_id, mn, pollutant, pollutant_code, period_month,
       emissions_t, method);
-- the mart keeps tonnes as DECIMAL(18, 6)
alter table marts.emissions alter emissions_t type decimal(18, 6);
"""


def test_outlet_months_match_by_outlet_or_mn_within_the_window(tmp_path: Path) -> None:
    full = _db(tmp_path / "full.duckdb", FULL)
    held = _db(tmp_path / "held.duckdb", WITHHELD)
    with Warehouses(full, held) as w:
        assert w.monitored_mns(CUT) == ["M1", "M2"]
        rows = w.outlet_months(["M1"], CUT)
    assert rows == [
        OutletMonth("M1", "so2", date(2023, 1, 1), 10.0, 12.0, "manual_test"),
        OutletMonth("M1", "so2", date(2023, 2, 1), 20.0, 15.0, "factor"),
    ]


def test_a_month_without_cems_rows_has_truth_zero(tmp_path: Path) -> None:
    full = _db(tmp_path / "full.duckdb", FULL)
    held = _db(tmp_path / "held.duckdb", WITHHELD)
    with Warehouses(full, held) as w:
        rows = w.outlet_months(["M2"], CUT)
    # M2 only has January rows; February is a window month (M1 has data) -> truth 0
    by = {(r.pollutant, r.month): r for r in rows}
    assert by[("so2", date(2023, 2, 1))].truth_t == 0.0
    assert by[("so2", date(2023, 1, 1))].estimate_t is None
    assert by[("pm", date(2023, 1, 1))].truth_t == 1.0


def test_summary_metrics() -> None:
    m = date(2023, 1, 1)
    rows = [
        OutletMonth("A", "so2", m, 10.0, 12.0, "manual_test"),  # +20 %
        OutletMonth("B", "so2", m, 10.0, 5.0, "factor"),  # -50 %
        OutletMonth("C", "so2", m, 10.0, None, ""),  # missing: counts as 0 (-100 %)
        OutletMonth("D", "so2", m, 10.0, 10.0, "manual_test"),  # 0 %
        OutletMonth("E", "so2", m, 0.0, 2.0, "factor"),  # a stopped month with an estimate
    ]
    (s,) = summarise(rows)
    assert (s.outlet_months, s.producing, s.covered) == (5, 4, 3)
    assert s.truth_t == 40.0 and s.estimate_t == 29.0
    assert s.ratio == pytest.approx(29 / 40)
    assert s.median_error == pytest.approx(0.35)
    assert s.p90_error == pytest.approx(percentile([0.0, 0.2, 0.5, 1.0], 0.9))
    assert s.coverage == 0.75 and s.stopped_estimate_t == 2.0
    assert s.methods["manual_test"].outlet_months == 2
    assert s.methods["(no estimate)"].estimate_t == 0.0
    assert verdict(s) == "miss total,coverage"
    assert "75%" in score_table([s])[1]


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)


CLOSURE = """
create table raw.activity as select * from (values
    ('E1', 'SC01', date '2023-01-01', 'solvent', 10.0, 't', null, 50.0),
    ('E1', 'SC01', date '2023-02-01', 'solvent', 2000.0, 'kg', null, 50.0),
    ('E2', null, date '2023-01-01', 'fuel', 100.0, '吨', 1.0, null),
    ('E3', 'YL01', date '2023-01-01', 'fuel', 50.0, 't', 1.0, null),
    ('E3', 'YL02', date '2023-01-01', 'product', 10.0, 't', null, null),
    ('E4', 'HG01', date '2023-01-01', 'product', 5.0, 't', null, null),
    ('E5', null, date '2023-01-01', 'fuel', 8.0, 't', null, null)
) as t(enterprise_id, unit_id, period, category, quantity, unit, sulfur_pct, voc_content_pct);
create table raw.registry_enterprises as select * from (
    values ('E1', '甲'), ('E2', '乙'), ('E3', '丙')
) as t(enterprise_id, name);
create table raw.boilers as select * from (values ('E2', 'GL01', 'coal', 'in_use'),
    ('E2', 'GL02', 'gas', 'standby')) as t(enterprise_id, unit_id, fuel, status);
create table raw.kilns as select * from (values ('E3', 'YL01', 'coal', 'gas_generator'),
    ('E3', 'YL02', 'producer_gas', 'glass_furnace'), ('E4', 'HG01', 'biomass', 'dryer'),
    ('E5', 'YL01', 'coal_gangue_internal', 'tunnel_kiln'),
    ('E5', 'YL02', 'kiln_waste_heat', 'dryer')
) as t(enterprise_id, unit_id, fuel, kiln_type);
create table raw.voc_sources as select * from (values ('E1', 'SC01')) as t(enterprise_id, unit_id);
create table raw.registry_outlets as select * from (values ('E3', 'DA001', 'YL02'))
    as t(enterprise_id, outlet_id, unit_id);
create table marts.emissions as select * from (values
    ('E1', 'SC01', 'voc', date '2023-01-01', 7.0),
    ('E2', 'GL01', 'so2', date '2023-01-01', 2.5),
    ('E2', 'GL01', 'pm', date '2023-01-01', 0.1),
    ('E3', 'YL02', 'so2', date '2023-01-01', 0.5),
    ('E5', 'YL01', 'so2', date '2023-01-01', 1.0),
    ('E5', 'YL01', 'pm', date '2023-01-01', 1.0),
    ('E5', 'YL01', 'nox', date '2023-01-01', 1.0)
) as t(enterprise_id, unit_id, pollutant, period_month, emissions_t);
"""


def test_closure_checks(tmp_path: Path) -> None:
    db = _db(tmp_path / "w.duckdb", CLOSURE)
    with Warehouses(db) as w:
        voc = {e: (em, b) for e, _, em, b in w.voc_balance("fb")}
        sulfur = {e: (so2, cap) for e, _, so2, cap in w.sulfur_balance("fb")}
        units = w.producing_unit_months("fb")
    assert voc["E1"] == (7.0, pytest.approx(6.0))  # 10 t + 2000 kg at 50 %
    assert sulfur["E2"] == (2.5, pytest.approx(2.0)) and sulfur["E3"] == (0.5, pytest.approx(1.0))
    missing = {(p, e, u, m.month) for p, e, u, _k, m, ok in units if not ok}
    # the coal boiler reports through its enterprise (no unit rows): its NOx is missing; the
    # standby gas boiler and the gas generator expect nothing; the furnace has SO2 but no PM or
    # NOx; the coating line bought solvent in February and has no February estimate; the herb
    # dryer heated by a boiler (no fuel rows, no outlet) and the brick dryer on the kiln's waste
    # heat (its works books fuel for the whole plant) expect nothing of their own
    assert missing == {
        ("nox", "E2", "GL01", 1),
        ("pm", "E3", "YL02", 1),
        ("nox", "E3", "YL02", 1),
        ("voc", "E1", "SC01", 2),
    }
    text = "\n".join(Closure([], [], units).lines("full"))
    assert "without an estimate: nox 2 of 3, pm 1 of 3, so2 0 of 3, voc 1 of 2" in text


def test_county_totals_label_the_release_where_the_mart_has_one(tmp_path: Path) -> None:
    full = _db(tmp_path / "full.duckdb", FULL)
    held = _db(
        tmp_path / "held.duckdb",
        """
        create table marts.emissions as select * from (values
            ('voc', 'mass_balance', 'stack', 1.5), ('voc', 'mass_balance', 'fugitive', 2.0),
            ('voc', 'mass_balance', 'fugitive', 0.5)
        ) as t(pollutant, method, release_type, emissions_t);
        alter table marts.emissions alter emissions_t type decimal(18, 6);
        """,
    )
    with Warehouses(full, held) as w:
        assert w.county_totals("fb") == {("so2", "cems"): 10.0}
        assert w.county_totals("wb") == {
            ("voc", "mass_balance / stack"): 1.5,
            ("voc", "mass_balance / fugitive"): 2.5,
        }
