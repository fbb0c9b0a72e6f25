"""A held shift's episode is judged against the series' other episodes of its length, those that
lie apart from it: an episode overlapping the one judged holds part of its shift, and counting it
in the null would widen the null by the very shift being judged."""

from __future__ import annotations

import numpy as np

from dagster_project.detectors.config import load_config
from dagster_project.detectors.shifts import episode_z
from dagster_project.detectors.windows import sliding_medians

W = 48


def _wandering_with_episode(
    seed: int, shift: float, days: int = 40, first_day: int = 16
) -> tuple[np.ndarray, int, int]:
    """`days` days of a load-adjusted log level that wanders by days (AR(1), 0.97 an hour) with
    hour-to-hour noise, raised by `shift` over eight days from `first_day`."""
    rng = np.random.default_rng(seed)
    n = 24 * days
    wander = np.zeros(n)
    for i in range(1, n):
        wander[i] = 0.97 * wander[i - 1] + rng.normal(0, 0.03)
    resid = wander + rng.normal(0, 0.1, n)
    p, q = 24 * first_day, 24 * (first_day + 8)
    resid[p:q] += shift
    return resid, p, q


def test_an_eight_day_episode_stands_out_against_the_episodes_apart_from_it() -> None:
    need = load_config()["step_change"]["episode_z"]
    zs = []
    for seed in range(6):
        resid, p, q = _wandering_with_episode(seed, 0.35)
        shift, z = episode_z(resid, sliding_medians(resid, W), p, q, W)
        assert 0.15 < shift < 0.6
        zs.append(z)
    assert sum(z >= need for z in zs) >= 5, zs


def test_the_null_does_not_move_with_the_shift_judged() -> None:
    """The same series with the episode's shift doubled: the null (the episodes apart from it)
    is the same, so the z grows with the shift; an overlapping null would grow with it too."""
    resid, p, q = _wandering_with_episode(3, 0.3)
    bigger = resid.copy()
    bigger[p:q] += 0.3
    s1, z1 = episode_z(resid, sliding_medians(resid, W), p, q, W)
    s2, z2 = episode_z(bigger, sliding_medians(bigger, W), p, q, W)
    assert s2 > s1
    assert z2 / z1 > 1.6, (z1, z2)


def test_a_long_episode_in_a_short_series_is_judged_on_half_length_episodes() -> None:
    """32 days read (a part-time plant's usable hours of two months), the episode in the middle:
    only two episodes of its length lie apart from it, too few for a null, so the null is read
    from episodes of half its length (their medians wander more: a wider null, never a
    narrower one). The shifted episode stands out against it; the same series unshifted
    hardly ever does."""
    need = load_config()["step_change"]["episode_z"]
    shifted, unshifted = [], []
    for seed in range(10):
        for shift, out in ((0.5, shifted), (0.0, unshifted)):
            resid, p, q = _wandering_with_episode(seed, shift, days=32, first_day=12)
            out.append(episode_z(resid, sliding_medians(resid, W), p, q, W)[1])
    assert sum(z >= need for z in shifted) >= 7, shifted
    # a wandering level makes an episode stand out now and then by itself (so does the null of
    # full-length episodes on a longer series: 3 of 30 such series at z >= 4)
    assert sum(z >= need for z in unshifted) <= 1, unshifted
