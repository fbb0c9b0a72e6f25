"""What a benchmark world hands the benchmark: clean and injected frames, the labels of the
injected cases, and the clean data's own legitimate events (shutdowns, routine marks, expected
findings) against which false findings are judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl

from benchmarks.detector_worlds.workbench import Label
from dagster_project.detectors.inputs import STACK_TEST_SCHEMA

Periods = dict[str, list[tuple[datetime, datetime]]]


@dataclass
class World:
    name: str
    seed: int
    days: int
    outlets: pl.DataFrame
    clean: pl.DataFrame  # hourly detector input with no fault injected
    injected: pl.DataFrame  # the same with the labelled cases (and any clean traps) written in
    labels: list[Label]
    stopped: Periods  # legitimate shutdowns (truth), per MN: first and last hour start
    routine: Periods  # legitimate calibration / maintenance marks (truth), per MN; hour starts
    expected: list[Label] = field(default_factory=list)  # real events of the clean data
    stack_tests: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=STACK_TEST_SCHEMA)
    )
    clean_stack_tests: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=STACK_TEST_SCHEMA)
    )
    notes: str = ""

    @property
    def outlet_months(self) -> float:
        return self.outlets["mn"].n_unique() * self.days / 30.4


def true_runs(
    mask: np.ndarray, joined: Callable[[int], bool] | None = None
) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in `mask`; `joined(j)` can refuse to let hour j + 1
    continue hour j's run (a gap in the time grid), which starts a new run there."""
    runs, i = [], 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j + 1 < len(mask) and mask[j + 1] and (joined is None or joined(j)):
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def stopped_periods(hourly: pl.DataFrame, share: float = 0.1) -> Periods:
    """Shutdown periods (flow below `share` of the outlet's P95) per outlet, from clean data."""
    out: Periods = {}
    dev = (
        hourly.group_by("mn", "hour_start")
        .agg(pl.col("flow_m3_s").first(), pl.col("o2").first())
        .sort("mn", "hour_start")
    )
    for (mn,), g in dev.group_by(["mn"]):
        g = g.sort("hour_start")
        p95 = float(np.nanpercentile(g["flow_m3_s"].to_numpy(), 95))
        off = g["flow_m3_s"].to_numpy() < share * p95
        t = g["hour_start"].to_list()
        for i, j in true_runs(off):
            out.setdefault(mn, []).append((t[i], t[j]))
    return out
