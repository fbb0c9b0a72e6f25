"""A legitimate shutdown and restart must not read as a changed fingerprint: the hours cooling down
before a stop and warming up after it (a cold furnace reads erratically while its stack is still
cold and its O2 high) are not the plant's steady operation, and fingerprint_drift leaves them out
(`windows.away_from_stops`)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds.world_b import DAYS, START, physics
from dagster_project.detectors import patterns
from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import OUTLET_POLLUTANT_SCHEMA, DetectorInputs
from dagster_project.detectors.series import Series
from dagster_project.detectors.windows import away_from_stops

STOP = 500  # grid hour the 30-hour shutdown begins at
T0 = datetime(START.year, START.month, START.day)


def _boiler_that_stops() -> DetectorInputs:
    """A coal boiler over world B's 56 days with a noisy 30-hour shutdown (draft fan idling, O2
    wandering); its readings swing (log sd 0.5) in the 2 hours before the stop and, after the
    restart, while its stack is colder than its running range (10th percentile) or its O2 above
    it (90th percentile): a plant cooling down and warming up, not another fingerprint."""
    outlet = physics.draw_outlets(302, np.random.default_rng([302, 0xB]))[0]
    hourly = physics.simulate_outlet(
        outlet, T0, DAYS, np.random.default_rng(1), [], (STOP, STOP + 30), physics.Truth()
    )
    stop, restart = T0 + timedelta(hours=STOP), T0 + timedelta(hours=STOP + 30)
    run = hourly.filter(pl.col("flow_m3_s") > 0.3 * pl.col("flow_m3_s").quantile(0.95))
    cold = (pl.col("temp_c") < run["temp_c"].quantile(0.1)) | (
        pl.col("o2") > run["o2"].quantile(0.9)
    )
    edited = (pl.col("hour_start").is_between(restart, restart + timedelta(hours=23)) & cold) | (
        pl.col("hour_start").is_between(stop - timedelta(hours=2), stop - timedelta(hours=1))
    )
    swing = pl.Series(np.exp(np.random.default_rng(7).normal(0, 0.5, hourly.height)))
    hourly = hourly.with_columns(
        pl.when(edited).then(pl.col(c) * swing).otherwise(pl.col(c)).alias(c)
        for c in ("avg_measured", "avg_converted", "minute_mean")
    )
    outlets = pl.DataFrame(physics.outlet_rows(outlet), schema=OUTLET_POLLUTANT_SCHEMA)
    return DetectorInputs(hourly, outlets)


def _findings(series: list[Series], cfg: Config) -> pl.DataFrame:
    fb = FindingsBuilder("py.fingerprint_drift")
    patterns.fingerprint_drift(series, cfg, fb)
    return fb.frame()


def test_a_stop_and_its_warm_up_are_not_a_fingerprint_drift() -> None:
    cfg = load_config()
    series = series_for_frames(_boiler_that_stops(), cfg)
    # the case is what it claims: reading the hours next to the stop, the detector reports there
    near = copy.deepcopy(cfg)
    near["fingerprint_drift"]["cool_down_hours"] = 0
    near["fingerprint_drift"]["warm_up_max_hours"] = 0
    before = _findings(series, near)
    stop, restart = T0 + timedelta(hours=STOP), T0 + timedelta(hours=STOP + 30)
    assert before.filter(
        (pl.col("start_time") <= restart + timedelta(hours=24)) & (pl.col("end_time") >= stop)
    ).height
    found = _findings(series, cfg)
    assert found.height == 0, found.select("pollutant_code", "start_time", "end_time").rows()


def test_away_from_stops_leaves_out_the_cool_down_and_the_warm_up() -> None:
    cfg = load_config()
    so2 = next(
        s for s in series_for_frames(_boiler_that_stops(), cfg) if s.pollutant_code == "a21026"
    )
    keep = away_from_stops(so2, 2, 24)
    off = np.flatnonzero(np.isin(so2.state, ["stopped", "transition"]))
    first, last = int(off[off >= STOP - 3][0]), int(off[off <= STOP + 33][-1])
    assert not keep[first - 2 : last + 1].any()  # the cool-down and the stop itself
    assert keep[first - 3] == so2.running[first - 3]
    # after the restart: left out until the stack is warm and O2 down, then read again
    warm = np.flatnonzero(keep[last + 1 :])
    assert warm.size and 1 <= warm[0] <= 24
    back = last + 1 + int(warm[0])
    assert so2.temp[back] >= np.quantile(so2.temp[so2.usable], 0.1)
    assert so2.o2[back] <= np.quantile(so2.o2[so2.usable], 0.9)
    assert so2.temp[back - 1] < np.quantile(so2.temp[so2.usable], 0.1) or so2.o2[
        back - 1
    ] > np.quantile(so2.o2[so2.usable], 0.9)
    # only running hours are read, and every running hour a day away from any stop is
    off_mask = np.isin(so2.state, ["stopped", "transition"]).astype(float)
    far = np.convolve(off_mask, np.ones(49), "same") == 0
    assert not (keep & ~so2.running).any()
    assert (keep[far] == so2.running[far]).all()


def test_values_following_their_channels_more_closely_do_not_depart_from_them() -> None:
    """A window whose departure from the fit on the outlet's own channels shrank (a quiet spell
    at a steady set point) still follows them, whatever its changes' correlation; so does one
    whose departure grew while its changes follow the channels as closely as ever (a noisier
    spell). One whose changes follow them less and whose departure grew does not."""
    cols = {f: i for i, f in enumerate(patterns.FEATURES)}
    z = np.zeros((4, len(patterns.FEATURES)))
    z[:, cols["step_corr_with_own_channels"]] = -1.0  # changes follow them less ...
    z[0, cols["log_residual_spread"]] = -5.0  # ... but closer to the channels than usual
    z[1, cols["log_residual_spread"]] = 3.0  # ... and further from them
    z[2, cols["step_corr_with_own_channels"]] = 1.0  # changes follow them as ever ...
    z[2, cols["log_residual_spread"]] = 5.0  # ... with a larger departure
    z[3, cols["log_residual_spread"]] = -0.01  # changes follow less, departure as usual
    assert patterns.departs_from_own_channels(z).tolist() == [False, True, False, False]
