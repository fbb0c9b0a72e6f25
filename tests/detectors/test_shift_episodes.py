"""Level shifts judged as whole episodes: step or rescale is decided from the episode's hours
against the hours around it (not from the 48-hour windows at each edge), and an edit whose way
back coincides with a load change is still reported from its start to its end."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from dagster_project.detectors.shifts import (
    held_shifts,
    scale_ratios,
    shift_kind,
    shift_scan,
    step_and_rescale,
)
from tests.detectors.shift_series import boiler_series

N = 24 * 40


def _series(x: np.ndarray, flow: np.ndarray, rng: np.random.Generator) -> Series:
    return boiler_series(x, flow, np.ones(x.size, bool), rng)


def _found(s: Series) -> list[dict]:
    fb = FindingsBuilder("test")
    step_and_rescale(s, load_config(), fb)
    return fb.rows


def _edited(rescale: bool, seed: int) -> tuple[Series, int, int]:
    """A series whose measured value is edited down from `at` to `back`, by half (rescaled) or by
    half its median (a step); the 48 hours before the edit are a noisy spell (twice the usual
    hour-to-hour noise), which misleads a comparison of the windows at the edit's edges."""
    rng = np.random.default_rng(seed)
    at, back = 24 * 15, 24 * 22
    noise = rng.normal(0, 0.08, N)
    noise[at - 48 : at] *= 2.0
    x = 20 * np.exp(noise)
    x[at:back] = x[at:back] * 0.5 if rescale else x[at:back] - 10.0
    return _series(x, 10 * np.exp(rng.normal(0, 0.03, N)), rng), at, back


def test_a_step_next_to_a_noisy_spell_is_a_step_and_a_rescale_is_a_rescale() -> None:
    for seed in (1, 2, 3):
        for rescale, kind in ((False, "step_change"), (True, "rescaled_signal")):
            s, at, back = _edited(rescale, seed)
            rows = _found(s)
            assert [r["anomaly_type"] for r in rows] == [kind], (seed, kind, rows)
            assert abs(rows[0]["start_time"] - s.times[at]) <= timedelta(hours=12)
            assert abs(rows[0]["end_time"] - s.times[back - 1]) <= timedelta(hours=12)


def test_an_edit_taken_back_during_a_load_change_is_one_episode() -> None:
    """The edit raises the reading by 60 % from `at`; at `back` it is taken off just as the load
    rises by half (flow up, the concentration with it): that edge fails the flow test of a step,
    but the episode between the two changes stands out of the load-adjusted series."""
    cfg = load_config()
    rng = np.random.default_rng(7)
    at, back = 24 * 14 + 9, 24 * 19 + 9
    flow = 10 * np.exp(rng.normal(0, 0.03, N))
    flow[back:] *= 1.5
    x = 20 * (flow / 10) ** 0.8 * np.exp(rng.normal(0, 0.08, N))
    x[at:back] *= 1.6
    s = _series(x, flow, rng)
    ss = shift_scan(s, cfg)
    assert ss is not None
    end = int(np.argmin(np.abs(ss.k - back)))
    assert not ss.cand[end]  # the way back alone is not a step (the load moved)
    held = held_shifts(ss, cfg)
    assert len(held) == 1 and held[0].z >= cfg["step_change"]["episode_z"]
    rows = _found(s)
    assert len(rows) == 1
    assert abs(rows[0]["start_time"] - s.times[at]) <= timedelta(hours=12)
    assert abs(rows[0]["end_time"] - s.times[back - 1]) <= timedelta(hours=12)


def test_no_held_shift_in_a_series_without_an_edit() -> None:
    cfg = load_config()
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        wander = np.zeros(N)
        for i in range(1, N):
            wander[i] = 0.97 * wander[i - 1] + rng.normal(0, 0.04)
        flow = 10 * np.exp(rng.normal(0, 0.05, N))
        s = _series(20 * np.exp(wander + rng.normal(0, 0.1, N)), flow, rng)
        ss = shift_scan(s, cfg)
        assert ss is not None
        assert held_shifts(ss, cfg) == []


def test_an_edit_put_on_and_taken_off_abruptly_while_the_load_drifts_is_one_episode() -> None:
    """The reading is raised by 45 % from `at` to `back`, at an hour each way; the flow rises by
    about 18 % over the day around each edge (a load drifting up, not following the edit), so
    neither edge passes the flow test of a step, but both are abrupt: an edit and its undo."""
    cfg = load_config()
    rng = np.random.default_rng(11)
    at, back = 24 * 14 + 9, 24 * 20 + 9
    t = np.arange(N)
    ramp = np.clip((t - at + 12) / 24, 0, 1) + np.clip((t - back + 12) / 24, 0, 1)
    flow = 10 * np.exp(0.18 * ramp + rng.normal(0, 0.02, N))
    x = 20 * np.exp(rng.normal(0, 0.08, N))
    x[at:back] *= 1.45
    s = _series(x, flow, rng)
    ss = shift_scan(s, cfg)
    assert ss is not None
    edges = [int(np.argmin(np.abs(ss.k - e))) for e in (at, back)]
    assert not ss.cand[edges].any()  # the load moved at both: neither edge alone is a step
    assert ss.sharp[edges].all()
    held = held_shifts(ss, cfg)
    assert len(held) == 1
    rows = _found(s)
    assert len(rows) == 1
    assert abs(rows[0]["start_time"] - s.times[at]) <= timedelta(hours=12)
    assert abs(rows[0]["end_time"] - s.times[back - 1]) <= timedelta(hours=12)


def test_an_edit_whose_edges_the_noise_blurs_is_one_episode_when_it_stands_out_alone() -> None:
    """The reading is raised by 70 % over a ramp of a day each way, on a series that wanders by
    days: neither edge passes a step's tests nor is abrupt, but the episode between them stands
    out of the series' own episodes by more than `episode_z_alone`."""
    cfg = load_config()
    rng = np.random.default_rng(18)
    at, back = 24 * 14 + 9, 24 * 19 + 9
    t = np.arange(N)
    ramp = np.clip((t - at + 12) / 24, 0, 1) - np.clip((t - back + 12) / 24, 0, 1)
    wander = np.zeros(N)
    for i in range(1, N):
        wander[i] = 0.97 * wander[i - 1] + rng.normal(0, 0.03)
    x = 20 * np.exp(np.log(1.7) * ramp + wander + rng.normal(0, 0.08, N))
    s = _series(x, 10 * np.exp(rng.normal(0, 0.03, N)), rng)
    ss = shift_scan(s, cfg)
    assert ss is not None
    (held,) = held_shifts(ss, cfg)
    edges = [held.i, held.j]
    assert not ss.cand[edges].any() and not ss.sharp[edges].any()
    assert held.z >= cfg["step_change"]["episode_z_alone"]
    assert abs(int(ss.idx[held.p]) - at) <= 24 and abs(int(ss.idx[held.q]) - back) <= 24
    stricter = {**cfg, "step_change": {**cfg["step_change"], "episode_z_alone": held.z + 0.1}}
    assert held_shifts(ss, stricter) == []


def test_three_estimates_of_the_scale_move_with_a_rescale_and_not_with_a_step() -> None:
    """Halving a multiplicative-noise signal halves its hour-to-hour noise, its log noise times
    the level ratio and its spread; taking half its median off changes none of them."""
    rng = np.random.default_rng(5)
    outside = [20 * np.exp(rng.normal(0, 0.1, 200)), 20 * np.exp(rng.normal(0, 0.1, 200))]
    base = 20 * np.exp(rng.normal(0, 0.1, 150))
    for edited, expected in ((base * 0.5, 0.5), (base - 10.0, 1.0)):
        level = float(np.log(np.median(edited) / np.median(np.concatenate(outside))))
        ratios = scale_ratios([edited], outside, level)
        for name in ("noise_ratio", "log_noise_ratio_times_level", "spread_ratio", "scale_ratio"):
            assert abs(np.log(ratios[name] / expected)) < 0.25, (expected, name, ratios)


def test_a_scale_fallen_within_twice_the_level_is_a_rescale_either_way() -> None:
    """The log scale ratio against the log level ratio: near it (from half to twice it) is a
    rescale, whichever side the estimate falls; near 0 (the scale unchanged) or far beyond it (a
    step pushing values onto a floor, which takes their noise away) is a step."""
    level = float(np.log(0.6))
    for scale in (0.75, 0.6, 0.45, 0.4):  # log ratios 0.56, 1, 1.56, 1.79 times the level's
        assert shift_kind(level, scale, 2.0) == "rescaled_signal", scale
    for scale in (1.0, 1.1, 0.8, 0.15, 1e-6):
        assert shift_kind(level, scale, 2.0) == "step_change", scale
    assert shift_kind(-level, 1 / 0.45, 2.0) == "rescaled_signal"
    assert shift_kind(0.0, 0.5, 2.0) == "step_change"


def test_a_step_up_across_a_load_swing_is_still_a_step() -> None:
    """A step up whose episode also holds a slow load swing: the spread inside grows with the
    swing, the hour-to-hour noise does not. The median of the three estimates stays with the two
    that are not thrown off, so the step is not taken for a rescale."""
    rng = np.random.default_rng(8)
    outside = [20 * np.exp(rng.normal(0, 0.1, 200)), 20 * np.exp(rng.normal(0, 0.1, 200))]
    swing = 15 * np.sin(np.linspace(0, 2 * np.pi, 150))
    edited = 20 * np.exp(rng.normal(0, 0.1, 150)) + 12.0 + swing
    level = float(np.log(np.median(edited) / np.median(np.concatenate(outside))))
    ratios = scale_ratios([edited], outside, level)
    assert ratios["spread_ratio"] > 2.0
    assert shift_kind(level, ratios["scale_ratio"], 2.0) == "step_change", ratios
