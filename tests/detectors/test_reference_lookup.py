"""reference_disagreement reads each stack test's hours from its own series (its block of rows of
the sorted hour table), and finds what filtering the whole hour table for each test finds, to the
last bit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from dagster_project.detectors.config import load_config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.reference import reference_disagreement

T0 = datetime(2023, 11, 1)


def _inputs(seed: int) -> DetectorInputs:
    rng = np.random.default_rng(seed)
    rows, outlets, tests = [], [], []
    for k in range(6):
        mn = f"MN{k:02d}"
        for pol in ("a21026", "a21002", "a34013"):
            n = 24 * 20
            level = float(rng.uniform(5, 80))
            x = level * rng.lognormal(0, 0.2, n)
            rows.append(
                pl.DataFrame(
                    {
                        "mn": mn,
                        "pollutant_code": pol,
                        "hour_start": [T0 + timedelta(hours=h) for h in range(n)],
                        "avg_measured": x,
                        "avg_converted": x * 1.3,
                        "is_valid": rng.random(n) > 0.1,
                    }
                )
            )
            outlets.append(
                {"mn": mn, "pollutant_code": pol, "reference_o2": 9.0 if k % 2 else None}
            )
            for _ in range(3):
                start = T0 + timedelta(hours=int(rng.integers(0, n - 5)), minutes=17)
                low = rng.random() < 0.5
                tests.append(
                    {
                        "mn": mn,
                        "pollutant_code": pol,
                        "start_time": start,
                        "end_time": start + timedelta(hours=int(rng.integers(1, 4))),
                        "reference_mg_m3": level * (0.4 if low else 1.0),
                    }
                )
    tests.append({**tests[0], "mn": "UNKNOWN"})  # a test of an outlet without CEMS hours
    tests.append({**tests[1], "reference_mg_m3": None})
    tests.append({**tests[2], "mn": None})
    return DetectorInputs(pl.concat(rows), pl.DataFrame(outlets), pl.DataFrame(tests))


def _direct(inputs: DetectorInputs, cfg: dict) -> list[tuple]:
    """The definition, test by test: the mean of the tested series' valid hours from the test's
    first hour to its end, on the converted basis where the outlet has a reference O2."""
    c = cfg["reference_disagreement"]
    ref_o2 = {(r["mn"], r["pollutant_code"]): r["reference_o2"] for r in inputs.outlets.to_dicts()}
    out = []
    for t in inputs.stack_tests.to_dicts():
        if t["mn"] is None:
            continue  # a null key matches no hour
        h = inputs.hourly.filter(
            (pl.col("mn") == t["mn"])
            & (pl.col("pollutant_code") == t["pollutant_code"])
            & (pl.col("hour_start") >= t["start_time"].replace(minute=0))
            & (pl.col("hour_start") <= t["end_time"])
            & pl.col("is_valid")
        )
        col = "avg_converted" if ref_o2.get((t["mn"], t["pollutant_code"])) else "avg_measured"
        vals = h.get_column(col).drop_nulls().to_numpy()
        if vals.size == 0 or t["reference_mg_m3"] is None:
            continue
        diff = float(np.mean(vals)) - t["reference_mg_m3"]
        tol = c["abs_tol_mg_m3"].get(t["pollutant_code"], c["abs_tol_mg_m3"]["default"])
        if abs(diff) > max(c["rel_tol"] * abs(t["reference_mg_m3"]), tol):
            out.append((t["mn"], t["pollutant_code"], t["start_time"], diff, int(vals.size)))
    return out


class _Raw(FindingsBuilder):
    """Keeps each finding's statistic unrounded."""

    def __init__(self, detector: str) -> None:
        super().__init__(detector)
        self.raw: list[tuple] = []

    def report(self, kind: str, mn: str, pol: str | None, start: datetime, *args: Any) -> None:
        self.raw.append((mn, pol, start, args[2], args[4]["hours"]))
        super().report(kind, mn, pol, start, *args)


def test_same_findings_as_filtering_every_test() -> None:
    cfg = load_config()
    for seed in range(4):
        inputs = _inputs(seed)
        fb = _Raw("py.reference_disagreement")
        reference_disagreement(inputs.hourly, inputs.outlets, inputs.stack_tests, cfg, fb)
        found = fb.raw
        expected = _direct(inputs, cfg)
        assert expected == found
        assert len(found) >= 5  # the halved references disagree


def test_an_unsorted_hour_table_is_refused() -> None:
    inputs = _inputs(0)
    shuffled = inputs.hourly.sample(fraction=1.0, shuffle=True, seed=1)
    with pytest.raises(ValueError, match="not sorted"):
        reference_disagreement(
            shuffled, inputs.outlets, inputs.stack_tests, load_config(), FindingsBuilder("x")
        )
