"""A plant that runs part of the day gets fingerprint windows long enough to hold the hours a
continuous plant's 4 days hold: a two-shift boiler (06:00-22:00 on 5 weekdays, world B's
physics) reads ~10 steady hours a day, so 4-day windows held fewer than `min_window_hours` and
the boiler was never examined."""

from __future__ import annotations

from dagster_project.detectors import patterns
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.world_b_outlet import world_b_outlet


def _two_shift_boiler() -> DetectorInputs:
    return world_b_outlet(301, 4, "two_shift", 7)


def test_window_days_follow_the_hours_a_plant_reads() -> None:
    c = load_config()["fingerprint_drift"]
    assert patterns.window_days(24 * 50, 24 * 50, c) == c["window_days"]  # runs around the clock
    assert patterns.window_days(10 * 50, 24 * 50, c) == 6  # 60 hours at 10 a day
    assert patterns.window_days(2 * 50, 24 * 50, c) == c["max_window_days"]


def test_a_two_shift_boiler_is_fingerprinted_and_its_own_data_is_not_a_drift() -> None:
    cfg = load_config()
    c = cfg["fingerprint_drift"]
    series = series_for_frames(_two_shift_boiler(), cfg)
    assert {s.pollutant_code for s in series} == {"a34013", "a21026", "a21002"}
    for s in series:
        fp = patterns.fingerprints(s, series, cfg)
        assert fp is not None, s.pollutant_code
        assert fp.window > 24 * c["window_days"]
        assert len(fp.starts) >= c["min_baseline_windows"]
        assert min(fp.hours) >= c["min_window_hours"]
    fb = FindingsBuilder("py.fingerprint_drift")
    patterns.fingerprint_drift(series, cfg, fb)
    assert fb.frame().height == 0, fb.frame().select("pollutant_code", "start_time").rows()
