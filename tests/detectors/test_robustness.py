"""Detectors that hold on data they were not tuned on: masked exceedances whose unmarked neighbours
sit far below the limit, calibration marks on each day's peak, programmed multi-day profiles, a
span-gas calibration that must not count as an exceedance, readings under the detection limit,
load dips and slow wander that must not count as steps; and the exceedance rules' standard."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from dagster_project.detectors import sql_rules
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import detect_frames
from dagster_project.detectors.inputs import HOURLY_SCHEMA, DetectorInputs, write_inputs
from tests.detectors.conftest import SHUTDOWN, START


def _edit(hourly: pl.DataFrame, mn: str, pol: str | None, hours: list, **cols) -> pl.DataFrame:
    """Set columns of the rows of `mn` (and `pol`) at `hours` to the given value(s) (one value, or
    one per hour in order)."""
    sel = (pl.col("mn") == mn) & pl.col("hour_start").is_in(hours)
    if pol is not None:
        sel &= pl.col("pollutant_code") == pol
    out = hourly
    for col, value in cols.items():
        if isinstance(value, list | np.ndarray):
            mapping = dict(zip(hours, [float(v) for v in value], strict=True))
            new = pl.col("hour_start").replace_strict(mapping, default=None)
        else:
            new = pl.lit(value)
        out = out.with_columns(pl.when(sel).then(new).otherwise(pl.col(col)).alias(col))
    return out


def _recompute(hourly: pl.DataFrame, outlets: pl.DataFrame) -> pl.DataFrame:
    """Converted value, mass and minute mean from the measured value (the DAS arithmetic)."""
    ref = outlets.select("mn", "pollutant_code", "reference_o2")
    return (
        hourly.join(ref, on=["mn", "pollutant_code"], how="left")
        .with_columns(
            pl.when(pl.col("reference_o2").is_not_null())
            .then(
                (
                    pl.col("avg_measured") * (21 - pl.col("reference_o2")) / (21 - pl.col("o2"))
                ).round(2)
            )
            .otherwise(None)
            .alias("avg_converted"),
            (pl.col("avg_measured") * pl.col("flow_m3_s") * 3.6e-3).round(5).alias("mass_kg"),
            # a whole marked hour has no unmarked minute behind it
            pl.when(pl.col("valid_minutes") > 0).then(pl.col("avg_measured")).alias("minute_mean"),
            pl.when(pl.col("valid_minutes") > 0)
            .then(pl.col("normal_minutes"))
            .otherwise(0)
            .alias("normal_minutes"),
        )
        .drop("reference_o2")
    )


def _rows(hourly: pl.DataFrame, mn: str, pol: str) -> pl.DataFrame:
    return hourly.filter((pl.col("mn") == mn) & (pl.col("pollutant_code") == pol)).sort(
        "hour_start"
    )


@pytest.fixture(scope="module")
def edited(clean_county):
    """The clean test county with one behaviour written into each of six outlets."""
    hourly, outlets = clean_county
    h = hourly
    # MN0001 SO2 (limit 35): 3 hours at 1.4-1.8 L marked M, unmarked neighbours at 0.4 L
    t = START + timedelta(days=10, hours=9)
    core = [t + timedelta(hours=k) for k in range(3)]
    ctx = [t - timedelta(hours=k) for k in (1, 2, 3)] + [t + timedelta(hours=k) for k in (3, 4, 5)]
    rows = _rows(h, "MN0001", "a21026").filter(pl.col("hour_start").is_in(core + ctx))
    o2 = dict(zip(rows["hour_start"], rows["o2"], strict=True))
    to_measured = [(21 - o2[x]) / 12 for x in core]
    h = _edit(
        h, "MN0001", "a21026", core, avg_measured=np.array([1.4, 1.8, 1.6]) * 35 * to_measured
    )
    h = _edit(h, "MN0001", "a21026", ctx, avg_measured=[0.4 * 35 * (21 - o2[x]) / 12 for x in ctx])
    h = _edit(h, "MN0001", "a21026", core, flag="M", is_valid=False, valid_minutes=0)
    # MN0002 SO2: a daily whole-hour span calibration at 02:00, the cylinder read at 80 mg/m3
    cal = [START + timedelta(days=d, hours=2) for d in range(45)]
    rng = np.random.default_rng(5)
    h = _edit(h, "MN0002", "a21026", cal, avg_measured=80 * (1 + rng.normal(0, 0.002, 45)))
    h = _edit(h, "MN0002", "a21026", cal, flag="C", is_valid=False, valid_minutes=0)
    # MN0003 NOx: each day's top hour marked C with a zero-gas reading, for 12 days
    kiln = _rows(h, "MN0003", "a21002").filter(
        pl.col("hour_start").is_between(START + timedelta(days=5), START + timedelta(days=17))
        & (pl.col("hour_start").dt.hour() != 2)
    )
    peaks = (
        kiln.group_by(pl.col("hour_start").dt.date().alias("day"))
        .agg(pl.col("hour_start").sort_by("avg_converted").last())["hour_start"]
        .to_list()
    )
    h = _edit(
        h, "MN0003", "a21002", peaks, avg_measured=0.5, flag="C", is_valid=False, valid_minutes=0
    )
    # MN0004 SO2: a 3-day profile cut from the series, written over 12 days with 1 % noise
    src = (
        _rows(h, "MN0004", "a21026")
        .filter(
            pl.col("hour_start").is_between(
                START + timedelta(days=24), START + timedelta(days=27), closed="left"
            )
        )["avg_measured"]
        .to_numpy()
    )
    prog_hours = [START + timedelta(days=27, hours=k) for k in range(24 * 12)]
    prog = np.resize(src, len(prog_hours)) * (1 + rng.normal(0, 0.01, len(prog_hours)))
    h = _edit(h, "MN0004", "a21026", prog_hours, avg_measured=prog)
    # MN0006 SO2 (detection limit 3): 6 running hours read under the detection limit
    day = START + timedelta(days=30, hours=9)
    under = [day + timedelta(hours=k) for k in range(6)]
    h = _edit(h, "MN0006", "a21026", under, avg_measured=[1.1, 2.0, 0.6, 1.6, 2.4, 0.9])
    # MN0005 NOx: a 30-hour load dip, flow down a third, O2 up, NOx halved with it
    dip = [START + timedelta(days=33, hours=k) for k in range(30)]
    dip_rows = h.filter((pl.col("mn") == "MN0005") & pl.col("hour_start").is_in(dip))
    for pol in ("a34013", "a21002"):
        r = dip_rows.filter(pl.col("pollutant_code") == pol).sort("hour_start")
        running = r.filter(pl.col("flow_m3_s") > 2)["hour_start"].to_list()
        rr = r.filter(pl.col("hour_start").is_in(running))
        h = _edit(
            h,
            "MN0005",
            pol,
            running,
            flow_m3_s=(rr["flow_m3_s"] * 0.65).to_numpy(),
            o2=(rr["o2"] + 2.5).to_numpy(),
            avg_measured=(rr["avg_measured"] * 0.5).to_numpy(),
        )
    h = _recompute(h, outlets)
    return h, outlets, detect_frames(DetectorInputs(h, outlets)), {"core": core, "peaks": peaks}


def _found(findings: pl.DataFrame, mn: str, kind: str) -> list[dict]:
    return findings.filter((pl.col("mn") == mn) & (pl.col("anomaly_type") == kind)).to_dicts()


def test_masked_exceedance_found_with_neighbours_far_below_the_limit(edited) -> None:
    _, _, findings, marks = edited
    (f,) = _found(findings, "MN0001", "masked_exceedance")
    assert f["start_time"] == marks["core"][0] and f["end_time"] == marks["core"][-1]
    ev = json.loads(f["evidence"])
    assert ev["values"]["unmarked_neighbours_max_mg_m3"] < 0.5 * 35
    assert ev["values"]["flags"] == "M" and ev["values"]["max_mg_m3"] > 1.7 * 35
    # the limit's basis is the outlet's standard, not HJ 76
    assert "GB 13271-2014" in f["rule_basis"] and "HJ 76" not in f["rule_basis"]


def test_span_gas_calibration_is_not_a_masked_exceedance(edited) -> None:
    _, _, findings, _ = edited
    assert not _found(findings, "MN0002", "masked_exceedance")
    assert not _found(findings, "MN0002", "calibration_timing")


def test_calibration_marks_on_each_days_peak_are_calibration_timing(edited) -> None:
    _, _, findings, marks = edited
    (f,) = _found(findings, "MN0003", "calibration_timing")
    assert marks["peaks"][0] <= f["start_time"] <= f["end_time"] <= marks["peaks"][-1]
    ev = json.loads(f["evidence"])
    assert ev["values"]["episodes_of"] == "C"
    assert ev["statistic"]["value"] >= ev["threshold"]["min_mean_rank"]


def test_programmed_multi_day_profile_is_a_periodic_pattern(edited) -> None:
    _, _, findings, _ = edited
    (f,) = _found(findings, "MN0004", "periodic_pattern")
    assert json.loads(f["evidence"])["values"]["period_hours"] == 72


def test_readings_under_the_detection_limit_while_running_are_zero(edited) -> None:
    _, _, findings, _ = edited
    (f,) = _found(findings, "MN0006", "zero_while_operating")
    assert json.loads(f["evidence"])["values"]["hours_under_detection_limit_only"] >= 3


def test_a_load_dip_is_not_a_step_change(edited) -> None:
    _, _, findings, _ = edited
    shifts = findings.filter(
        (pl.col("mn") == "MN0005")
        & pl.col("anomaly_type").is_in(
            ["step_change", "rescaled_signal", "flow_load_inconsistency"]
        )
    )
    assert shifts.height == 0, shifts.select("anomaly_type", "start_time").rows()


def test_slow_wander_is_not_a_step_change(clean_county) -> None:
    hourly, outlets = clean_county
    rng = np.random.default_rng(11)
    wander = {}
    for mn in ("MN0007", "MN0008"):
        n = hourly.filter(pl.col("mn") == mn)["hour_start"].n_unique()
        e = rng.normal(0, 0.25 * np.sqrt(1 - 0.98**2), n)
        ar = np.zeros(n)
        for i in range(1, n):
            ar[i] = 0.98 * ar[i - 1] + e[i]
        wander[mn] = np.exp(ar)
    parts = []
    for (mn, _pol), g in hourly.sort("hour_start").group_by(["mn", "pollutant_code"]):
        if mn in wander:
            g = g.with_columns((pl.col("avg_measured") * wander[mn]).round(2).alias("avg_measured"))
        parts.append(g)
    h = _recompute(pl.concat(parts), outlets)
    found = detect_frames(DetectorInputs(h, outlets))
    shifts = found.filter(
        pl.col("mn").is_in(list(wander))
        & pl.col("anomaly_type").is_in(["step_change", "rescaled_signal"])
    )
    assert shifts.height == 0, shifts.select("mn", "anomaly_type", "start_time").rows()


def test_each_outlet_gets_the_standard_of_its_kind_industry_and_fuel() -> None:
    outlets = pl.DataFrame(
        {
            "mn": ["B1", "B2", "K1", "K2", "G1", "V1", "X1"],
            "pollutant_code": ["a21026"] * 7,
            "source_kind": ["boiler", "boiler", "kiln", "kiln", "kiln", "voc", "flare"],
            "key_industry": [
                "heat_power",
                "chemicals",
                "bricks",
                "cement",
                "glass",
                "printing",
                None,
            ],
            "fuel": ["coal", "natural_gas", "coal_gangue", None, "natural_gas", None, None],
            "limit_mg_m3": [35.0] * 7,
        }
    )
    con = duckdb.connect()
    try:
        write_inputs(con, DetectorInputs(pl.DataFrame(schema=HOURLY_SCHEMA), outlets))
        sql_rules.load_seeds(con)
        sql_rules.run_models(con, load_config(), (sql_rules.STANDARDS_MODEL,))
        got = {
            mn: (code, local, status)
            for mn, code, local, status in con.execute(
                "select mn, standard_code, local_standard_code, status "
                "from intermediate.int_anomalies__emission_standards"
            ).fetchall()
        }
    finally:
        con.close()
    assert got["B1"] == ("GB 13271-2014", "DB41/2089-2021", "sourced (secondary)")
    assert got["B2"] == ("GB 13271-2014", "DB41/2089-2021", "unverified")
    assert got["K1"] == ("GB 29620-2013", "DB41/1066-2020", "unverified")
    assert got["K2"][0] == "GB 4915-2013"
    assert got["G1"][0] == "GB 26453-2022"
    assert got["V1"][0] == "GB 16297-1996"
    assert got["X1"] == (None, None, "unverified")  # no standard mapped: the permit only


def _sql_tables(hourly: pl.DataFrame, outlets: pl.DataFrame, *models: str) -> list[pl.DataFrame]:
    """The SQL rules' tables `models` on the frames (the same SQL dbt builds), in a scratch
    DuckDB."""
    con = duckdb.connect()
    try:
        write_inputs(con, DetectorInputs(hourly, outlets))
        sql_rules.run_all(con, load_config())
        return [con.sql(f"select * from {sql_rules.SCHEMA}.{m}").pl() for m in models]
    finally:
        con.close()


def _sql_findings(hourly: pl.DataFrame, outlets: pl.DataFrame, model: str) -> pl.DataFrame:
    """One SQL rule's findings on the frames."""
    return _sql_tables(hourly, outlets, model)[0]


def test_a_stopped_mark_on_the_hour_a_stop_begins_is_not_flag_abuse(clean_county) -> None:
    """The DAS marks F from the hour the unit stopped in; in that hour the fan still runs (flow a
    quarter of full) and the stack is hot, so physics reads 'running' for one more hour. The
    same marks on running hours with no stop after them stay flag abuse."""
    hourly, outlets = clean_county
    mn = "MN0001"
    p95 = hourly.filter(pl.col("mn") == mn)["flow_m3_s"].quantile(0.95)
    stop = [SHUTDOWN[0] + timedelta(hours=k) for k in range(6)]
    edge = SHUTDOWN[0] - timedelta(hours=1)
    h = _edit(hourly, mn, None, [edge, *stop], flag="F")
    h = _edit(h, mn, None, [edge], flow_m3_s=0.25 * p95, o2=20.5, avg_measured=0.2)
    abuse = [START + timedelta(days=30, hours=10 + k) for k in range(3)]
    h = _edit(h, mn, None, abuse, flag="F")
    found = _sql_findings(h, outlets, "int_anomalies__flag_abuse").filter(pl.col("mn") == mn)
    starts = set(found["start_time"].to_list())
    assert edge not in starts, found.select("pollutant_code", "start_time").rows()
    assert starts == {abuse[0]}, found.select("pollutant_code", "start_time").rows()


def _near_detection_limit(clean_county, scale: float) -> tuple[pl.DataFrame, pl.DataFrame, list]:
    """MN0002's PM (detection limit 1 mg/m3, running median ~4.5) scaled by `scale`, with three
    running, unmarked hours in a row set to 0.3 mg/m3 on both bases."""
    hourly, outlets = clean_county
    h = hourly.filter(pl.col("mn") == "MN0002")
    o = outlets.filter(pl.col("mn") == "MN0002")
    pm = pl.col("pollutant_code") == "a34013"
    h = h.with_columns(
        pl.when(pm)
        .then(pl.col("avg_measured") * scale)
        .otherwise("avg_measured")
        .alias("avg_measured")
    )
    day = START + timedelta(days=20)
    candidates = (
        h.filter(pm & (pl.col("flag") == "N") & (pl.col("flow_m3_s") > 2))
        .filter(pl.col("hour_start").is_between(day, day + timedelta(days=1)))
        .sort("hour_start")["hour_start"]
        .to_list()
    )
    hours = next(
        candidates[i : i + 3]
        for i in range(len(candidates) - 2)
        if candidates[i + 2] - candidates[i] == timedelta(hours=2)
    )
    h = _recompute(_edit(h, "MN0002", "a34013", hours, avg_measured=0.3), o)
    return h, o, hours


def test_readings_under_half_the_detection_limit_on_an_outlet_emitting_near_it_are_zero(
    clean_county,
) -> None:
    """At ~1.35 detection limits the outlet never reads under half of it: three such hours in a
    row while running are zero; at ~0.7 it often does, and the same hours are not."""
    h, o, hours = _near_detection_limit(clean_county, 0.3)
    levels = h.filter((pl.col("pollutant_code") == "a34013") & (pl.col("flow_m3_s") > 2))
    assert 1.0 <= levels["avg_measured"].median() < 3.0  # the earlier rule needs >= 3 DL
    (f,) = _found(detect_frames(DetectorInputs(h, o)), "MN0002", "zero_while_operating")
    assert (f["start_time"], f["end_time"]) == (hours[0], hours[-1])
    ev = json.loads(f["evidence"])
    assert ev["values"]["hours_under_detection_limit_only"] == 3
    assert ev["values"]["outlet_share_of_hours_under_half_dl"] <= 0.05
    assert ev["threshold"]["near_zero_detection_limit_share"] == 0.5
    assert ev["threshold"]["near_zero_max_share_of_hours"] == 0.05

    h, o, hours = _near_detection_limit(clean_county, 0.15)
    assert _found(detect_frames(DetectorInputs(h, o)), "MN0002", "zero_while_operating") == []


def _day_plant(clean_county) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """MN0006 alone (a day-shift boiler, 08:00-18:00), with its running hours marked (flow)."""
    hourly, outlets = clean_county
    h = hourly.filter(pl.col("mn") == "MN0006")
    running = h.group_by("hour_start").agg((pl.col("flow_m3_s").max() > 2).alias("running"))
    return h, outlets.filter(pl.col("mn") == "MN0006"), running.sort("hour_start")


def test_a_silent_running_day_between_reported_stops_is_missing_data(clean_county) -> None:
    """The device sends its night stops (near-zero readings): a whole running day without a
    packet, stopped hours either side, is missing data, not a shutdown. Where the logger goes
    silent with its unit (it sends only the first and last hour of each stop), the same day
    reads as one more stop."""
    h, o, running = _day_plant(clean_county)
    day = START + timedelta(days=30)
    silent = running.filter(
        pl.col("running") & pl.col("hour_start").is_between(day, day + timedelta(hours=23))
    )["hour_start"].to_list()
    assert len(silent) == 10
    h = h.filter(~pl.col("hour_start").is_in(silent))
    found = _sql_findings(h, o, "int_anomalies__missing_data")
    assert found["pollutant_code"].sort().to_list() == ["a21002", "a21026", "a34013"]
    f = found.row(0, named=True)
    assert set(found["start_time"]) == {silent[0]} and set(found["end_time"]) == {silent[-1]}
    ev = json.loads(f["evidence"])["values"]
    assert ev["state_before"] == ev["state_after"] == "stopped"
    assert ev["device_stopped_hours_sent"] > 10 * 14

    # a logger that falls silent with its unit: each stop's first and last hours only
    stopped = running.filter(~pl.col("running"))["hour_start"]
    edges = running.filter(
        ~pl.col("running")
        & (pl.col("running").shift(1, fill_value=True) | pl.col("running").shift(-1))
    )["hour_start"]
    quiet = set(stopped.to_list()) - set(edges.to_list())
    assert _sql_findings(
        h.filter(~pl.col("hour_start").is_in(list(quiet))), o, "int_anomalies__missing_data"
    ).is_empty()


def test_a_mark_at_the_clock_hour_of_nightly_stops_is_no_routine_calibration(clean_county) -> None:
    """The DAS flags the night stops F, so 18:00 is marked on every day. On a day the boiler ran
    late, 18:00 marked M over twice the limit, its unmarked neighbours at half of it, is a
    masked exceedance: stop flags make no routine calibration hour."""
    h, o, running = _day_plant(clean_county)
    stopped = running.filter(~pl.col("running"))["hour_start"].to_list()
    h = _edit(h, "MN0006", None, stopped, flag="F")
    day = START + timedelta(days=30)
    late = [day + timedelta(hours=k) for k in (18, 19)]
    at_17 = h.filter(pl.col("hour_start") == day + timedelta(hours=17))
    for col in ("flow_m3_s", "o2", "temp_c"):
        h = _edit(h, "MN0006", None, late, **{col: float(at_17[col].max())})
    h = _edit(h, "MN0006", None, late, flag="N")
    o2 = float(at_17["o2"].max())
    to_measured = (21 - o2) / 12  # converted at 9 % O2 -> measured
    h = _edit(h, "MN0006", "a21026", [late[0]], avg_measured=2.2 * 35 * to_measured)
    h = _edit(h, "MN0006", "a21026", [late[0]], flag="M", is_valid=False, valid_minutes=0)
    neighbours = [day + timedelta(hours=17), late[1]]
    h = _edit(h, "MN0006", "a21026", neighbours, avg_measured=0.5 * 35 * to_measured)
    h = _recompute(h, o)
    found = _sql_findings(h, o, "int_anomalies__masked_exceedance")
    (f,) = found.filter(pl.col("pollutant_code") == "a21026").to_dicts()
    assert f["start_time"] == f["end_time"] == late[0]
    assert json.loads(f["evidence"])["values"]["flags"] == "M"


def test_a_value_held_across_the_days_calibration_is_one_constant_run(clean_county) -> None:
    """Ten running hours of one value, the fifth of them the daily calibration (marked C, the
    span gas read): nine held hours, one run across the mark, more than the eight asked."""
    hourly, outlets = clean_county
    h = hourly.filter(pl.col("mn") == "MN0001")
    o = outlets.filter(pl.col("mn") == "MN0001")
    t = START + timedelta(days=30, hours=5)
    held = [t + timedelta(hours=k) for k in range(10)]
    h = _edit(h, "MN0001", "a21026", held, avg_measured=20.0)
    h = _edit(h, "MN0001", "a21026", [held[4]], avg_measured=80.0)
    h = _edit(h, "MN0001", "a21026", [held[4]], flag="C", is_valid=False, valid_minutes=0)
    h = _recompute(h, o)
    (f,) = _found(detect_frames(DetectorInputs(h, o)), "MN0001", "constant_value")
    assert (f["start_time"], f["end_time"]) == (held[0], held[-1])
    ev = json.loads(f["evidence"])
    assert ev["statistic"]["value"] == 9 and ev["values"]["marked_hours_set_aside"] == 1


def test_a_start_up_hour_over_the_limit_counts_where_the_value_is_measured(clean_county) -> None:
    """MN0007 (a process outlet, its limit on the measured value) and MN0006 (a boiler, its limit
    on the value converted to 9 % O2) each read twice their limit in the first hour of a day's
    run, the start-up hour. The measured value is flue gas as in any hour: an exceedance. The
    converted one is taken in air still near ambient O2, so the start-up hour is not judged."""
    hourly, outlets = clean_county
    day = START + timedelta(days=30)
    h = hourly.filter(pl.col("mn").is_in(["MN0006", "MN0007"]))
    o = outlets.filter(pl.col("mn").is_in(["MN0006", "MN0007"]))
    start = day + timedelta(hours=8)  # both run 08:00-18:00
    h = _edit(h, "MN0007", "a34013", [start], avg_measured=2 * 10.0)
    h = _edit(h, "MN0006", "a21026", [start], avg_measured=2 * 35.0)
    h = _recompute(h, o)
    states, found = _sql_tables(h, o, sql_rules.STATE_MODEL, "int_anomalies__exceedance")
    state = dict(states.filter(pl.col("hour_start") == start).select("mn", "state").rows())
    assert state == {"MN0006": "transition", "MN0007": "transition"}
    (f,) = found.filter(pl.col("start_time") == start).to_dicts()
    assert f["mn"] == "MN0007" and f["end_time"] == start
