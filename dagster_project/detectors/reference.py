"""D23: CEMS against manual comparison / supervisory stack tests (HJ 75 comparison criteria)."""

from __future__ import annotations

import numpy as np
import polars as pl

from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder


def _series_blocks(hourly: pl.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """(mn, pollutant) -> (first row, rows) of its hours: each series is one block of rows in
    the hour table (`DetectorInputs` sorts it by mn, pollutant and hour), so a stack test reads
    its own series, not the whole table."""
    spans = (
        hourly.select("mn", "pollutant_code")
        .with_row_index("row")
        .group_by("mn", "pollutant_code")
        .agg(pl.col("row").min().alias("lo"), pl.col("row").max().alias("hi"), pl.len())
    )
    blocks = {}
    for mn, pol, lo, hi, n in spans.iter_rows():
        if hi - lo + 1 != n:
            raise ValueError("the hour table is not sorted by mn and pollutant_code")
        blocks[(mn, pol)] = (lo, n)
    return blocks


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
    blocks = _series_blocks(hourly)
    for t in tests.iter_rows(named=True):
        block = blocks.get((t["mn"], t["pollutant_code"]))
        if block is None or t["mn"] is None or t["pollutant_code"] is None:
            continue  # no hours of that series (a null key matches none)
        series = hourly.slice(*block)
        start = t["start_time"].replace(minute=0, second=0, microsecond=0)
        h = series.filter(
            (pl.col("hour_start") >= start)
            & (pl.col("hour_start") <= t["end_time"])
            & pl.col("is_valid")
        )
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
