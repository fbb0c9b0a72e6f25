"""The fingerprint's per-window arithmetic (run ~10 times per window of every series) gives what
numpy's general functions give: the median to the bit, the correlation to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.detectors.patterns import _corr, _mad, _median


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


def test_the_correlation_is_numpys_and_nan_for_a_constant() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        a = rng.normal(size=60)
        b = 0.6 * a + rng.normal(size=60)
        assert _corr(a, b) == pytest.approx(float(np.corrcoef(a, b)[0, 1]), abs=1e-12)
    assert _corr(a, a) == pytest.approx(1.0)
    assert np.isnan(_corr(a, np.full(60, 2.0)))
