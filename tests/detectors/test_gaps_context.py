"""What a gap would have read, and which gaps are routine. A gap that took the device's whole row
(a single-pollutant outlet: its flow and O2 go with it) right after a stop has neither channels
nor clean neighbours: what its clock hour reads on other days is still known. Gaps with no mark
of their own (absent rows, hours sent invalid) are no calibration: a few at one clock hour do
not make it routine, only a logger's daily schedule does."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dagster_project.detectors import marks
from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series
from tests.detectors.shift_series import boiler_series

DAYS = 42


def _spray_booth() -> tuple[Series, np.ndarray]:
    """A VOC spray booth, one pollutant on its outlet, running 09:00-16:00 every day, strongest in
    its first four hours (fresh coating); on day 20 those four hours are gone, row and all."""
    rng = np.random.default_rng(3)
    n = 24 * DAYS
    clock = np.arange(n) % 24
    running = (clock >= 9) & (clock <= 16)
    level = np.where(clock <= 12, 30.0, 8.0) * np.exp(rng.normal(0, 0.1, n))
    gone = np.zeros(n, bool)
    gone[24 * 20 + 9 : 24 * 20 + 13] = True
    s = boiler_series(level, 6.0 * level / 30.0, running, rng)
    return replace(
        s,
        pollutant_code="a24088",
        measured=np.where(gone, np.nan, s.measured),
        converted=np.full(n, np.nan),
        o2=np.where(gone, np.nan, 20.8),
        flow=np.where(gone, np.nan, s.flow),
        temp=np.where(gone, np.nan, s.temp),
        valid=s.valid & ~gone,
        present=s.present & ~gone,
        state=np.where(gone, "unknown", s.state),
        reference_o2=None,
        source_kind="voc",
        o2_informative=False,
    ), np.flatnonzero(gone)


def test_a_gap_without_channels_or_neighbours_reads_its_clock_hour() -> None:
    s, gone = _spray_booth()
    clean = s.usable & np.isfinite(s.compliance)
    pred = marks.counterfactual(s, [s], clean, reach=2)
    # the first two hours follow a stop and precede two gone hours: nothing but the clock
    assert np.isfinite(pred[gone]).all()
    np.testing.assert_allclose(pred[gone], np.log(30.0), atol=0.15)
    # hours that know every part still read the blend of them all
    afternoon = clean & (np.arange(pred.size) % 24 == 14)
    assert abs(float(np.median(pred[afternoon])) - np.log(8.0)) < 0.15


def _found(s: Series) -> list[dict]:
    fb = FindingsBuilder("py.strategic_gap")
    marks.strategic_gap(s, [s], load_config(), fb)
    return fb.frame().to_dicts()


def _afternoon_peaks(gaps: dict[int, int], invalid: dict[int, int]) -> Series:
    """A boiler whose load peaks every afternoon (13:00-16:00); rows absent for two hours from
    the clock hour `gaps[day]`, and single hours sent but invalid (flag D, lost minutes) at
    `invalid[day]`. No calibration marks."""
    rng = np.random.default_rng(11)
    n = 24 * DAYS
    peak = np.isin(np.arange(n) % 24, [13, 14, 15, 16]).astype(float)
    x = 20.0 * (1 + 0.6 * peak) * np.exp(rng.normal(0, 0.05, n))
    s = boiler_series(x, 20.0 * (1 + 0.5 * peak), np.ones(n, bool), rng)
    absent = np.zeros(n, bool)
    for d, at in gaps.items():
        absent[24 * d + at : 24 * d + at + 2] = True
    sent_invalid = np.zeros(n, bool)
    for d, at in invalid.items():
        sent_invalid[24 * d + at] = True
    return replace(
        s,
        measured=np.where(absent, np.nan, s.measured),
        converted=np.where(absent, np.nan, s.converted),
        flow=np.where(absent, np.nan, s.flow),
        o2=np.where(absent, np.nan, s.o2),
        temp=np.where(absent, np.nan, s.temp),
        valid=~(absent | sent_invalid),
        present=~absent,
        flag=np.where(sent_invalid, "D", "N"),
        state=np.where(absent, "unknown", s.state),
    )


def test_a_few_unmarked_gaps_at_one_clock_hour_do_not_make_it_routine() -> None:
    """Six afternoons gone, three of them at 13:00, where two hours far apart were also sent
    invalid at 13:00: five days at one clock hour over most of the series, which a calibration's
    marks would make routine, but none of these carries a mark."""
    gaps = {10: 13, 12: 13, 14: 13, 16: 14, 18: 14, 20: 15}
    (f,) = _found(_afternoon_peaks(gaps, invalid={2: 13, 35: 13}))
    assert f["anomaly_type"] == "strategic_gap"
    assert '"episodes_of": "absent"' in f["evidence"]


def test_a_logger_that_skips_one_clock_hour_every_day_is_a_schedule() -> None:
    """Rows absent at 14:00-15:00 on every day: the afternoon peak, but on every day alike (the
    logger's own schedule), so not judged as a choice."""
    gaps = dict.fromkeys(range(1, DAYS - 1), 14)
    assert _found(_afternoon_peaks(gaps, invalid={})) == []
