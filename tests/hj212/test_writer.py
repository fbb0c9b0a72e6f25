"""The column-wise writer helpers equal the one-at-a-time ones, byte for byte."""

from __future__ import annotations

import numpy as np
import polars as pl

from dagster_project.hj212.writer import format_value, format_values, frame, frame_many


def test_format_values_prints_what_python_prints() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(0, 1, 20_000),
            rng.normal(0, 1e4, 20_000),
            np.round(rng.normal(0, 1, 20_000), 3) + 0.0005,  # ties in decimal, not in binary
            [0.0005, -0.0005, 0.0015, 2.5, -2.5, -0.0, 0.0, 1e20, -1e-9, float("nan")],
        ]
    )
    series = pl.Series(values)
    for decimals in (0, 1, 2, 3, 4, 6):
        assert format_values(series, decimals).to_list() == [
            format_value(v, decimals) for v in values
        ]
    assert format_values(pl.Series([1.0, None]), 3).to_list() == ["1.000", ""]


def test_frame_many_frames_like_frame() -> None:
    segments = ["QN=1;ST=31;CN=2061;CP=&&a21026-Avg=1&&", "", "CP=&&i11001-Info=锅炉&&"]
    assert frame_many(pl.Series(segments)).to_list() == [frame(s) for s in segments]
    lower = frame_many(pl.Series(segments[:1]), lower_crc=True).to_list()[0]
    assert lower[:-6] == frame(segments[0])[:-6] and lower[-6:-2].islower()
    assert frame_many(pl.Series([], dtype=pl.String)).to_list() == []
