"""Scoring findings against a world's labels: typed recall per case, false episodes (findings near
no injected case and no expected event of the clean data), those raised during legitimate
shutdowns or routine calibration/maintenance marks, and Wilson intervals for recall."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from benchmarks.detector_worlds.workbench import Label
from benchmarks.detector_worlds.world import Periods

SLACK = timedelta(hours=24)


def overlaps(f: dict, lab: Label) -> bool:
    """Same outlet (and pollutant, unless either is device-wide), windows within ± SLACK."""
    return (
        f["mn"] == lab.mn
        and f["start_time"] <= lab.end + SLACK
        and f["end_time"] >= lab.start - SLACK
        and (lab.pollutant_code is None or f["pollutant_code"] in (None, lab.pollutant_code))
    )


def _during(f: dict, periods: Periods) -> bool:
    """The finding starts inside a period or in the hour after it (a restart, a recovery)."""
    return any(a <= f["start_time"] <= b + timedelta(hours=1) for a, b in periods.get(f["mn"], []))


@dataclass
class Score:
    hits: list[tuple[str, bool]] = field(default_factory=list)  # (anomaly type, found) per label
    false: list[dict] = field(default_factory=list)
    in_shutdown: int = 0
    in_routine: int = 0

    @property
    def false_by_type(self) -> dict[str, int]:
        return dict(Counter(f["anomaly_type"] for f in self.false))


def score(
    findings: pl.DataFrame,
    labels: list[Label],
    expected: list[Label],
    stopped: Periods,
    routine: Periods,
) -> Score:
    """Recall per injected case (right type, overlapping window ± 24 h); false = findings near no
    injected case and no expected event of the clean data (matched with its own type)."""
    rows = findings.select(
        "mn", "pollutant_code", "anomaly_type", "start_time", "end_time"
    ).to_dicts()
    hits = [
        (
            lab.anomaly_type,
            any(f["anomaly_type"] == lab.anomaly_type and overlaps(f, lab) for f in rows),
        )
        for lab in labels
    ]
    false = [
        f
        for f in rows
        if not any(overlaps(f, lab) for lab in labels)
        and not any(f["anomaly_type"] == e.anomaly_type and overlaps(f, e) for e in expected)
    ]
    return Score(
        hits=hits,
        false=false,
        in_shutdown=sum(_during(f, stopped) for f in false),
        in_routine=sum(_during(f, routine) for f in false),
    )


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (95 % for z = 1.96)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)
