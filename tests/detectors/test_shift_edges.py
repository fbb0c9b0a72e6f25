"""A smaller level shift counts only when it is abrupt (one hour to the next) and taken back by
an opposite change of about the same size within the undo window: an edit and its undo, not the
process's own wandering or a fuel change that stays."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from dagster_project.detectors.shifts import (
    abrupt,
    scan,
    shift_scan,
    step_and_rescale,
    undone_changes,
)
from tests.detectors.shift_series import boiler_series


def _shift_at(y: np.ndarray, w: int, at: int) -> tuple[np.ndarray, np.ndarray]:
    sc = scan(y, w)
    assert sc is not None
    j = np.array([at - w])
    return sc.k[j], (sc.after - sc.before)[j]


def test_a_jump_between_two_hours_is_abrupt_and_a_ramp_is_not() -> None:
    rng = np.random.default_rng(3)
    n, w, at = 400, 48, 200
    noise = rng.normal(0, 0.1, n)
    jump = noise + np.where(np.arange(n) >= at, 0.4, 0.0)
    ramp = noise + np.clip((np.arange(n) - (at - 40)) / 80, 0, 1) * 0.4
    idx = np.arange(n)
    for y, expected in ((jump, True), (ramp, False)):
        k, d = _shift_at(y, w, at)
        assert bool(abrupt(y, idx, k, d, 8, 0.8, 32)[0]) is expected


def test_a_jump_across_a_stop_is_not_abrupt() -> None:
    rng = np.random.default_rng(4)
    n, w, at = 400, 48, 200
    y = rng.normal(0, 0.1, n) + np.where(np.arange(n) >= at, 0.4, 0.0)
    idx = np.arange(n) + np.where(np.arange(n) >= at, 72, 0)  # three days stopped between
    k, d = _shift_at(y, w, at)
    assert not abrupt(y, idx, k, d, 8, 0.8, 32)[0]


def test_an_edit_is_undone_and_a_lasting_change_is_not() -> None:
    idx = np.arange(2000)
    d = np.array([0.5, -0.45, 0.5, 0.5, -0.5])
    # 100 and 200: up, then back (undone); 800 and 1000: up twice; 1900: the way back, too late
    picks = [(100, 0), (200, 1), (800, 2), (1000, 3), (1900, 4)]
    out = undone_changes(picks, d, idx, 14 * 24, 0.5)
    assert out.get(0) and out.get(1)
    assert not out.get(2) and not out.get(3) and not out.get(4)


def test_an_edit_taken_back_at_a_restart_pairs_with_its_abrupt_start_only() -> None:
    idx = np.arange(2000)
    d = np.array([0.5, -0.45, 0.5, -0.45])
    picks = [(100, 0), (200, 1), (800, 2), (900, 3)]
    # 100 jumps between running hours, 200 is the way back across a stop; 800 and 900 both
    # happen across stops: nothing anchors them
    anchored = np.array([True, False, False, False])
    out = undone_changes(picks, d, idx, 14 * 24, 0.5, anchored=anchored)
    assert out.get(0) and out.get(1)
    assert not out.get(2) and not out.get(3)


def _county_like(at: int, back: int, gap: int, rng: np.random.Generator) -> Series:
    """A boiler's log-normal series whose measured value is edited down by half from `at` (between
    two running hours) to `back`, where the plant stops for `gap` hours and restarts at the old
    level."""
    n = 24 * 40
    wander = np.zeros(n)  # the process's own slow wandering
    for i in range(1, n):
        wander[i] = 0.97 * wander[i - 1] + rng.normal(0, 0.05)
    x = 20 * np.exp(wander + rng.normal(0, 0.15, n))
    x[at:back] *= 0.5
    running = np.ones(n, bool)
    running[back : back + gap] = False
    return boiler_series(x, 10 * np.exp(rng.normal(0, 0.05, n)), running, rng)


def test_a_shift_taken_back_across_a_weekend_stop_is_found() -> None:
    cfg = load_config()
    rng = np.random.default_rng(22)
    at, back = 24 * 12 + 5, 24 * 17
    s = _county_like(at, back, 60, rng)
    ss = shift_scan(s, cfg)
    assert ss is not None
    j = int(np.argmax(np.abs(ss.d)))
    assert abs(ss.d[j]) < cfg["step_change"]["own_spread_z"] * ss.spread  # not strong alone
    fb = FindingsBuilder("test")
    step_and_rescale(s, cfg, fb)
    kinds = [r["anomaly_type"] for r in fb.rows]
    assert kinds and set(kinds) <= {"step_change", "rescaled_signal"}
    assert abs(fb.rows[0]["start_time"] - s.times[at]) <= timedelta(hours=3)
