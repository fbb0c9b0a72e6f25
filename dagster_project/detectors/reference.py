"""D23: CEMS against manual comparison / supervisory stack tests (HJ 75 comparison criteria)."""

from __future__ import annotations

import numpy as np
import polars as pl

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder


def reference_disagreement(
    hourly: pl.DataFrame,
    outlets: pl.DataFrame,
    tests: pl.DataFrame,
    cfg: Config,
    fb: FindingsBuilder,
) -> None:
    c = cfg["reference_disagreement"]
    if tests.height == 0:
        return
    ref_o2 = {
        (r["mn"], r["pollutant_code"]): r["reference_o2"] for r in outlets.iter_rows(named=True)
    }
    # the valid hours of the tested series, split once (not the whole hour table per test)
    keys = ["mn", "pollutant_code"]
    tested = hourly.join(tests.select(keys).unique(), on=keys, how="semi").filter(
        pl.col("is_valid")
    )
    by_series = tested.partition_by(keys, as_dict=True, maintain_order=True)
    for t in tests.iter_rows(named=True):
        series = by_series.get((t["mn"], t["pollutant_code"]))
        if series is None:
            continue
        start = t["start_time"].replace(minute=0, second=0, microsecond=0)
        h = series.filter((pl.col("hour_start") >= start) & (pl.col("hour_start") <= t["end_time"]))
        col = (
            "avg_converted"
            if ref_o2.get((t["mn"], t["pollutant_code"])) is not None
            else "avg_measured"
        )
        vals = h.get_column(col).drop_nulls().to_numpy()
        if vals.size == 0 or t["reference_mg_m3"] is None:
            continue
        cems, ref = float(np.mean(vals)), float(t["reference_mg_m3"])
        abs_tol = c["abs_tol_mg_m3"].get(t["pollutant_code"], c["abs_tol_mg_m3"]["default"])
        diff = cems - ref
        if abs(diff) > max(c["rel_tol"] * abs(ref), abs_tol):
            fb.report(
                "reference_disagreement",
                t["mn"],
                t["pollutant_code"],
                t["start_time"],
                t["end_time"],
                "cems_minus_reference_mg_m3",
                diff,
                {"rel_tol": c["rel_tol"], "abs_tol_mg_m3": abs_tol},
                {
                    "cems_mg_m3": cems,
                    "reference_mg_m3": ref,
                    "hours": int(vals.size),
                    "relative_error": diff / ref if ref else None,
                },
            )
