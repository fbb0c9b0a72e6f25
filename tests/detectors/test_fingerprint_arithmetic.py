"""The fingerprint's arithmetic over all windows at once (rows of hours, NaN where an hour was not
read) gives what numpy's general functions give on each row's read hours: the median to the bit,
the correlation to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.detectors.patterns import _mad, _median, _row_corr, _row_mad, _row_medians


@pytest.mark.parametrize("n", [1, 2, 3, 24, 95, 96, 1000])
def test_the_median_is_numpys_to_the_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    for x in (rng.standard_t(3, n), np.round(rng.normal(size=n), 1), np.full(n, 0.1)):
        assert _median(x) == float(np.median(x))
        assert _mad(x) == float(np.median(np.abs(x - np.median(x))))


def test_the_median_leaves_its_input_as_it_was() -> None:
    x = np.array([3.0, 1.0, 2.0, 5.0])
    _median(x)
    assert x.tolist() == [3.0, 1.0, 2.0, 5.0]


def _ragged(rng: np.random.Generator, rows: int, w: int) -> np.ndarray:
    """Rows of w values with a different number of unread (NaN) hours each, one row all unread."""
    x = np.round(rng.standard_t(3, (rows, w)), 1)
    for i in range(rows):
        x[i, rng.random(w) < i / rows] = np.nan
    x[-1] = np.nan
    return x


def test_row_medians_and_mads_are_numpys_on_each_rows_read_hours_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    for w in (95, 96):
        x = _ragged(rng, 40, w)
        med, mad = _row_medians(x), _row_mad(x)
        for i, row in enumerate(x):
            read = row[np.isfinite(row)]
            if read.size == 0:
                assert np.isnan(med[i]) and np.isnan(mad[i])
                continue
            assert med[i] == float(np.median(read))
            assert mad[i] == float(np.median(np.abs(read - np.median(read))))


def test_row_correlations_are_numpys_and_nan_for_a_constant() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=(50, 60))
    b = 0.6 * a + rng.normal(size=(50, 60))
    a[:, ::7] = b[:, ::7] = np.nan  # unread hours, the same in both
    r = _row_corr(a, b)
    for i in range(50):
        read = np.isfinite(a[i])
        expected = float(np.corrcoef(a[i][read], b[i][read])[0, 1])
        assert r[i] == pytest.approx(expected, abs=1e-12)
    assert _row_corr(a[:1], a[:1])[0] == pytest.approx(1.0)
    assert np.isnan(_row_corr(a[:1], np.where(np.isfinite(a[:1]), 2.0, np.nan))[0])
