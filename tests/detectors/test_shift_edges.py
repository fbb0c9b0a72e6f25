"""A smaller level shift counts only when it is abrupt (one hour to the next) and taken back by
an opposite change of about the same size within the undo window: an edit and its undo, not the
process's own wandering or a fuel change that stays."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors.shifts import abrupt, scan, undone_changes


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
