"""Calibration marks over the day's peak on five days out of seven, at wandering clock hours, on
an outlet calibrated every day at 22:00: five marks are too few for their ranks alone, and the run
of them day after day is the evidence (`marks.daily_run`), though two running days in the middle
carry none. World B's seed 955 marks NOx of B0955010 so."""

from __future__ import annotations

import polars as pl

from benchmarks.detector_worlds import world_b
from dagster_project.detectors import marks
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from tests.detectors.world_cases import case_of, evidence_over

MN, POL = "B0955010", "a21001"


def _found(frame: pl.DataFrame, outlets: pl.DataFrame, step: int | None = None) -> pl.DataFrame:
    overrides = {"calibration_timing": {"recurring_max_step_days": step}} if step else None
    cfg = load_config(overrides=overrides)
    inputs = DetectorInputs(frame.filter(pl.col("mn") == MN), outlets.filter(pl.col("mn") == MN))
    fb = FindingsBuilder("py.calibration_timing")
    marks.calibration_timing_all(series_for_frames(inputs, cfg), cfg, fb)
    return fb.frame().filter(pl.col("pollutant_code") == POL)


def test_marks_over_the_peaks_day_after_day_are_found_over_a_skipped_stretch() -> None:
    w = world_b.build(955)
    ev = evidence_over(_found(w.injected, w.outlets), case_of(w, "calibration_timing", MN, POL))
    assert "day after day" in ev["values"]["episodes_judged"]
    assert 22 in ev["values"]["routine_clock_hours_excluded"]
    assert _found(w.injected, w.outlets, step=2).height == 0  # the run broken at the skipped days
    assert _found(w.clean, w.outlets).height == 0
