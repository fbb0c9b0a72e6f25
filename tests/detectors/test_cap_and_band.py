"""A cap set for three weeks in the middle of a month, with higher hours before and after it in
the same 30-day window, is found (the cap is the maximum of its own stretch, not of the window);
a two-day narrow band on a series whose variation is mostly hour-scale noise (so its spread is
not under a fifth of a typical day's) is found by each log criterion: a day, or two, quieter
than the outlet's own hour-to-hour change. The untouched series raise neither; nor does a band
that is the plant's control holding the O2-corrected value, the measured value following O2."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.distribution import capped_value
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.levels import narrow_band
from dagster_project.detectors.series import Series
from tests.detectors.shift_series import boiler_series

T0 = datetime(2024, 1, 1)  # where boiler_series starts
DAYS = 56
N = 24 * DAYS
CAP_FROM, CAP_TO = 14 * 24, 35 * 24
BAND_FROM, BAND_TO = 30 * 24 + 5, 32 * 24 + 5


def _clean(seed: int, sigma: float) -> np.ndarray:
    """SO2 around 60 mg/m3 with multiplicative hour-scale noise (log sd `sigma`), two decimals."""
    rng = np.random.default_rng(seed)
    return np.round(60 * np.exp(rng.normal(0, sigma, N)), 2)


def _run(
    detector: Callable[[Series, Config, FindingsBuilder], None],
    x: np.ndarray,
    overrides: dict | None = None,
    edit: Callable[[Series], None] | None = None,
) -> list[dict]:
    rng = np.random.default_rng(7)
    s = boiler_series(x, np.full(N, 10.0), np.ones(N, bool), rng)
    if edit is not None:
        edit(s)
    fb = FindingsBuilder("test")
    detector(s, load_config(overrides=overrides), fb)
    return fb.frame().to_dicts()


def _capped(x: np.ndarray, cap: float = 88.5) -> np.ndarray:
    y = x.copy()
    part = y[CAP_FROM:CAP_TO] * (cap / np.percentile(y[CAP_FROM:CAP_TO], 85))
    y[CAP_FROM:CAP_TO] = np.minimum(part, cap)
    return y


def _banded(x: np.ndarray, seed: int) -> np.ndarray:
    y = x.copy()
    rng = np.random.default_rng(seed + 1000)
    half_width = 0.006 * 200.0  # 0.6 % of the analyser's span
    y[BAND_FROM:BAND_TO] = np.round(
        np.median(x) + rng.uniform(-1, 1, BAND_TO - BAND_FROM) * half_width, 2
    )
    return y


def test_cap_in_mid_month_found_despite_higher_hours_around_it() -> None:
    for seed in range(5):
        x = _capped(_clean(seed, 0.2))
        assert x[:CAP_FROM].max() > 88.5 * 1.05 and x[CAP_TO:].max() > 88.5 * 1.05
        found = _run(capped_value, x)
        assert len(found) == 1, seed
        f = found[0]
        assert f["start_time"].day >= 15 and (f["end_time"] - f["start_time"]).days >= 14
        assert '"cap_mg_m3": 88.5' in f["evidence"]


def test_uncapped_month_raises_no_cap() -> None:
    for seed in range(5):
        assert _run(capped_value, _clean(seed, 0.2)) == [], seed


def test_band_quieter_than_the_hourly_noise_found_by_the_log_criterion() -> None:
    old_rule_only = {"narrow_band": {"log_variance_ratio": 0.0, "long_hourly_change_ratio": 0.0}}
    one_day_only = {"narrow_band": {"long_hourly_change_ratio": 0.0}}
    two_days_only = {"narrow_band": {"log_variance_ratio": 0.0}}
    for seed in range(5):
        x = _banded(_clean(seed, 0.05), seed)
        found = _run(narrow_band, x)
        assert len(found) == 1, seed
        f, band = found[0], (T0 + timedelta(hours=BAND_FROM), T0 + timedelta(hours=BAND_TO))
        assert band[0] - timedelta(hours=12) <= f["start_time"] < band[1]
        assert band[0] < f["end_time"] <= band[1] + timedelta(hours=12)
        assert json.loads(f["evidence"])["values"]["criteria"] == [
            "day_under_hourly_noise_log",
            "two_days_under_hourly_noise_log",
        ]
        # each log criterion finds it alone; the raw one (a fifth of a typical day's spread) not
        assert len(_run(narrow_band, x, one_day_only)) == 1, seed
        assert len(_run(narrow_band, x, two_days_only)) == 1, seed
        assert _run(narrow_band, x, old_rule_only) == [], seed


def test_noisy_series_raises_no_band() -> None:
    for seed in range(5):
        assert _run(narrow_band, _clean(seed, 0.05)) == [], seed


def test_band_held_by_the_control_on_the_o2_corrected_value_is_not_a_narrow_band() -> None:
    """Two days whose O2-corrected value the plant holds (SCR on NOx, say): the measured value
    moves only with the flue gas's O2, as the dilution makes it, quieter than the outlet's
    hour-to-hour noise. The same measured values with O2 not moving with them are a band."""

    def held(s: Series) -> None:
        rng = np.random.default_rng(11)
        band = slice(BAND_FROM, BAND_TO)
        s.o2[band] = 9.0 + rng.normal(0, 0.15, BAND_TO - BAND_FROM)
        s.measured[band] = np.round(60 * (21 - s.o2[band]) / (21 - 9.0), 2)
        s.converted[band] = np.round(s.measured[band] * (21 - 9.0) / (21 - s.o2[band]), 2)

    def o2_unrelated(s: Series) -> None:
        held(s)
        s.o2[BAND_FROM:BAND_TO] = s.o2[BAND_FROM:BAND_TO][::-1].copy()

    ignore_control = {"narrow_band": {"control_o2_slope": 1e9}}
    for seed in range(5):
        x = _clean(seed, 0.05)
        assert _run(narrow_band, x, edit=held) == [], seed
        assert len(_run(narrow_band, x, ignore_control, edit=held)) == 1, seed
        assert len(_run(narrow_band, x, edit=o2_unrelated)) == 1, seed
