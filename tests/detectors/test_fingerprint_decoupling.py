"""Values written over an outlet's own that no longer move with its flow, temperature, O2 and
other pollutants (numbers generated with the right level and spread) are a changed fingerprint:
over the stretch, the slope of their hour-to-hour changes on those of their fit on the outlet's
own channels falls to about nothing (`patterns.decoupled_stretches`). The same outlet untouched
raises nothing."""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from benchmarks.detector_worlds.world_b import DAYS, START, physics
from dagster_project.detectors import patterns
from dagster_project.detectors.channels import StepCoupling
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import consolidate, series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import OUTLET_POLLUTANT_SCHEMA, DetectorInputs

T0 = datetime(START.year, START.month, START.day)
POL = "a21002"
FIRST, HOURS = 24 * 20, 24 * 6


def _boiler() -> DetectorInputs:
    """A biomass boiler of world B over its 56 days, no fault; its NOx follows the outlet's
    channels hour to hour (slope ~0.8, 24 standard errors over the first 20 days)."""
    outlet = physics.draw_outlets(302, np.random.default_rng([302, 0xB]))[8]
    hourly = physics.simulate_outlet(
        outlet, T0, DAYS, np.random.default_rng(8), [], None, physics.Truth()
    )
    outlets = pl.DataFrame(physics.outlet_rows(outlet), schema=OUTLET_POLLUTANT_SCHEMA)
    return DetectorInputs(hourly, outlets)


def _generated_over(inputs: DetectorInputs) -> DetectorInputs:
    """Six days of the NOx's running hours replaced by an AR(1) in log (persistence 0.7) with
    the stretch's own median and spread: right level, right spread, no tie to the plant."""
    h = inputs.hourly.with_row_index("i")
    part = h.filter(
        (pl.col("pollutant_code") == POL)
        & pl.col("hour_start").is_between(
            T0 + timedelta(hours=FIRST), T0 + timedelta(hours=FIRST + HOURS - 1)
        )
        & (pl.col("flag") == "N")
        & (pl.col("flow_m3_s") > 0)
    )
    x = part["avg_measured"].to_numpy()
    rng = np.random.default_rng(3)
    ar = np.zeros(x.size)
    for k in range(1, x.size):
        ar[k] = 0.7 * ar[k - 1] + rng.normal(0, np.sqrt(1 - 0.49))
    new = np.round(np.median(x) * np.exp(np.std(np.log(x)) * ar), 2)
    idx = part["i"].to_numpy()
    measured = inputs.hourly["avg_measured"].to_numpy().copy()
    converted = inputs.hourly["avg_converted"].to_numpy().copy()
    converted[idx] *= new / measured[idx]
    measured[idx] = new
    hourly = inputs.hourly.with_columns(
        pl.Series("avg_measured", measured), pl.Series("avg_converted", converted)
    )
    return DetectorInputs(hourly, inputs.outlets)


def _found(inputs: DetectorInputs) -> pl.DataFrame:
    cfg = load_config()
    fb = FindingsBuilder("py.fingerprint_drift")
    patterns.fingerprint_drift(series_for_frames(inputs, cfg), cfg, fb)
    return fb.frame()


def test_generated_values_that_ignore_the_plant_are_found() -> None:
    found = _found(_generated_over(_boiler())).filter(pl.col("pollutant_code") == POL)
    start, end = T0 + timedelta(hours=FIRST), T0 + timedelta(hours=FIRST + HOURS)
    hit = found.filter((pl.col("start_time") <= end) & (pl.col("end_time") >= start))
    assert hit.height >= 1, found.select("start_time", "end_time").rows()
    ev = json.loads(hit.row(0, named=True)["evidence"])
    if ev["statistic"]["name"] == "coupling_drop_t":
        assert ev["statistic"]["value"] >= 5
        assert ev["values"]["slope_inside"] <= 0.2 * ev["values"]["slope_elsewhere"]


def test_the_decoupled_stretch_is_where_the_values_were_written() -> None:
    cfg = load_config()
    series = series_for_frames(_generated_over(_boiler()), cfg)
    nox = next(s for s in series if s.pollutant_code == POL)
    fp = patterns.fingerprints(nox, series, cfg)
    assert fp is not None
    stretches = patterns.decoupled_stretches(fp, cfg["fingerprint_drift"])
    assert stretches, "the generated stretch does not read as decoupled"
    for d in stretches:
        assert d.lo < FIRST + HOURS and d.hi >= FIRST, (d.lo, d.hi)
        assert d.drop.t >= 5 and d.drop.elsewhere_t >= 5


def test_the_untouched_boiler_raises_nothing() -> None:
    assert _found(_boiler()).height == 0


def test_the_stretches_slopes_from_running_sums_are_the_direct_ones() -> None:
    cfg = load_config()
    series = series_for_frames(_generated_over(_boiler()), cfg)
    fp = patterns.fingerprints(next(s for s in series if s.pollutant_code == POL), series, cfg)
    assert fp is not None
    sc = StepCoupling.of(fp.fit)
    assert sc is not None
    starts = np.arange(0, len(fp.fit.log_values) - 72 + 1, 24)
    for a, d in zip(starts, sc.drops_over(starts, 72, 36), strict=True):
        direct = sc.drop((sc.pairs >= a) & (sc.pairs < a + 72), min_pairs=36)
        assert (d is None) == (direct is None)
        if d is not None and direct is not None:
            for x, y in zip(astuple(d), astuple(direct), strict=True):
                assert x == pytest.approx(y, rel=1e-9, abs=1e-9)


def test_a_level_edit_on_the_outlet_does_not_explain_values_that_stopped_following_it() -> None:
    """A step (or rescale) over the same days explains a fingerprint whose features moved, not a
    stretch whose values stopped moving with the outlet's own channels: a level edit keeps them
    moving with those channels hour to hour."""
    outlets = _boiler().outlets
    mn = outlets["mn"][0]
    start, end = T0 + timedelta(hours=FIRST), T0 + timedelta(hours=FIRST + HOURS)
    fb = FindingsBuilder("py.fingerprint_drift")
    for statistic in ("coupling_drop_t", "fingerprint_distance"):
        fb.report("fingerprint_drift", mn, POL, start, end, statistic, 6.0, {})
    step = FindingsBuilder("py.step_rescale")
    step.report("step_change", mn, "a34013", start, end, "level_ratio", 1.5, {})
    kept = consolidate(pl.concat([fb.frame(), step.frame()]), outlets)
    statistics = [
        json.loads(r["evidence"])["statistic"]["name"]
        for r in kept.filter(pl.col("anomaly_type") == "fingerprint_drift").to_dicts()
    ]
    assert statistics == ["coupling_drop_t"]
    assert kept.filter(pl.col("anomaly_type") == "step_change").height == 1
