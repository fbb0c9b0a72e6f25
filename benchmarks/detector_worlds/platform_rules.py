"""The platform rule set the detectors are compared with: exceedance, zero (N consecutive, no
physics), exact constant for N consecutive hours, negative, over-range (T flag or above span),
missing hours. Marks are trusted: a marked hour is not judged (falsification-notes §0.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds.world import true_runs
from dagster_project.detectors.findings import FINDINGS_SCHEMA
from dagster_project.detectors.inputs import DetectorInputs

PLATFORM_TYPES = (
    "exceedance",
    "zero_while_operating",
    "constant_value",
    "negative_value",
    "over_range",
    "missing_data",
)


def platform_findings(
    inputs: DetectorInputs, cfg_hours: int = 4, zero_hours: int = 3
) -> pl.DataFrame:
    rows = []
    meta = {(r["mn"], r["pollutant_code"]): r for r in inputs.outlets.iter_rows(named=True)}
    for (mn, pol), g in inputs.hourly.group_by(["mn", "pollutant_code"]):
        g = g.sort("hour_start")
        m = meta[(mn, pol)]
        t = g["hour_start"].to_list()
        x = g["avg_measured"].to_numpy()
        comp = (
            g["avg_converted"] if m["reference_o2"] is not None else g["avg_measured"]
        ).to_numpy()
        flag = g["flag"].to_list()

        def add(kind: str, start: datetime, end: datetime, mn: str = mn, pol: str = pol) -> None:
            rows.append(
                {
                    "mn": mn,
                    "pollutant_code": pol,
                    "anomaly_type": kind,
                    "start_time": start,
                    "end_time": end,
                }
            )

        def runs_of(mask: np.ndarray, min_len: int, kind: str, t: list = t) -> None:
            # a run is N consecutive grid hours: a missing hour breaks it
            for i, j in true_runs(mask, lambda j: t[j + 1] - t[j] == timedelta(hours=1)):
                if j - i + 1 >= min_len:
                    add(kind, t[i], t[j])

        normal = np.array([f == "N" for f in flag])
        runs_of(normal & (comp > m["limit_mg_m3"]), 1, "exceedance")
        runs_of(normal & (x == 0), zero_hours, "zero_while_operating")
        same = np.r_[False, x[1:] == x[:-1]]
        runs_of(same | np.r_[same[1:], False], cfg_hours, "constant_value")
        runs_of(x < 0, 1, "negative_value")
        runs_of(np.array([f == "T" for f in flag]) | (x > m["analyzer_range"]), 1, "over_range")
        gaps = [i for i in range(1, len(t)) if t[i] - t[i - 1] > timedelta(hours=1)]
        for i in gaps:
            add("missing_data", t[i - 1] + timedelta(hours=1), t[i] - timedelta(hours=1))
    return pl.DataFrame(
        rows,
        schema={
            k: FINDINGS_SCHEMA[k]
            for k in ("mn", "pollutant_code", "anomaly_type", "start_time", "end_time")
        },
    )
