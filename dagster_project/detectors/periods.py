"""The periods the statistical detectors judge: calendar months, each over a window of its own.

A month is judged over itself and the eight weeks before it, and over at least twelve weeks where
the data begin less than eight weeks before it (a short history is judged over what follows it,
up to the last hour there is). So a month's findings rest on the hours from two months before it
to its end: they stay as they are when later months arrive, a nightly judges the current month
only, and every window is about as long as the detectors' benchmark worlds (eight to nine
weeks), the length their thresholds were validated on. Months with the same window are judged
together; a history shorter than twelve weeks is a single window, judged whole.

A finding is reported in each month it covers by the window of that month, its start and end
clipped to the month: an episode across the turn of a month is one finding in each, each judged
with the hours its own month's window holds.

A window's digest covers everything its findings depend on (its hours of the detectors' inputs
and operating state, the outlets, the manual tests, the thresholds and the detectors' code), so a
window whose digest is unchanged keeps its findings from the previous build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project.detectors.findings import anomaly_id

HISTORY = timedelta(weeks=8)  # judged with each month: the weeks before it
MIN_WINDOW = timedelta(weeks=12)  # the shortest window, where the data begin later
HOUR = timedelta(hours=1)
# What the statistical detectors read of the operating state (engine/series.py).
STATE_COLUMNS = ("mn", "hour_start", "state", "flow_vote", "temp_vote")
CODE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Window:
    """Hours `start`..`end` (inclusive) judged for the months from `first` (inclusive) to
    `until` (exclusive)."""

    start: datetime
    end: datetime
    first: datetime
    until: datetime

    def hours(self, frame: pl.DataFrame, col: str = "hour_start") -> pl.DataFrame:
        """The rows of `frame` whose hour lies in the window."""
        return frame.filter(pl.col(col).is_between(self.start, self.end))

    def overlapping(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows of `frame` (start_time, end_time) that overlap the window's hours."""
        return frame.filter((pl.col("start_time") <= self.end) & (pl.col("end_time") >= self.start))


def month_start(t: datetime) -> datetime:
    return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(t: datetime) -> datetime:
    m = month_start(t)
    return m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)


def windows(first_hour: datetime, last_hour: datetime) -> list[Window]:
    """The windows of the months from `first_hour`'s to `last_hour`'s, in order."""
    out: list[Window] = []
    month = month_start(first_hour)
    while month <= last_hour:
        after = next_month(month)
        start = max(first_hour, month - HISTORY)
        end = min(last_hour, max(after - HOUR, start + MIN_WINDOW - HOUR))
        if out and (out[-1].start, out[-1].end) == (start, end):
            out[-1] = Window(start, end, out[-1].first, after)
        else:
            out.append(Window(start, end, month, after))
        month = after
    return out


def clip(findings: pl.DataFrame, w: Window) -> pl.DataFrame:
    """The findings that cover the window's months, start and end clipped to them; a clipped
    finding gets the id of its clipped span."""
    last = w.until - HOUR
    f = findings.filter((pl.col("start_time") <= last) & (pl.col("end_time") >= w.first))
    moved = (pl.col("start_time") < w.first) | (pl.col("end_time") > last)
    if not f.select(moved.any()).item():
        return f
    f = f.with_columns(
        pl.max_horizontal("start_time", pl.lit(w.first)).alias("start_time"),
        pl.min_horizontal("end_time", pl.lit(last)).alias("end_time"),
        moved.alias("_moved"),
    )
    ids = [
        anomaly_id(
            r["anomaly_type"],
            r["mn"],
            r["pollutant_code"],
            r["start_time"],
            r["end_time"],
            r["detector"],
        )
        if r["_moved"]
        else r["anomaly_id"]
        for r in f.iter_rows(named=True)
    ]
    return f.with_columns(pl.Series("anomaly_id", ids, pl.String)).drop("_moved")


def code_signature(settings: str) -> str:
    """The detectors' code (this package's sources and thresholds), the libraries whose
    arithmetic and hashing they use, and `settings` (the thresholds in force)."""
    h = hashlib.sha256(settings.encode())
    for path in sorted([*CODE_DIR.glob("*.py"), *CODE_DIR.glob("*.toml")]):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for lib in (np, pl):
        h.update(f"{lib.__name__} {lib.__version__}".encode())
    return h.hexdigest()


def _row_hashes(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's hash and hour (as integers), sorted by hour."""
    hashes = _hashes(frame)
    hours = frame.get_column("hour_start").cast(pl.Datetime("us")).cast(pl.Int64).to_numpy()
    order = np.argsort(hours, kind="stable")
    return hashes[order], hours[order]


def _hashes(frame: pl.DataFrame) -> np.ndarray:
    return frame.hash_rows(seed=0).to_numpy()


def _span_digest(hashes: np.ndarray, hours: np.ndarray, w: Window) -> int:
    """The rows of the window's hours, whatever their order (rows are unique by their keys)."""
    lo = np.searchsorted(hours, _us(w.start), side="left")
    hi = np.searchsorted(hours, _us(w.end), side="right")
    part = hashes[lo:hi]
    return int(np.bitwise_xor.reduce(part)) if part.size else 0


def _us(t: datetime) -> int:
    return int(pl.Series([t]).cast(pl.Datetime("us")).cast(pl.Int64)[0])


def digests(
    wins: list[Window],
    hourly: pl.DataFrame,
    state: pl.DataFrame,
    devices: pl.DataFrame,
    outlets: pl.DataFrame,
    stack_tests: pl.DataFrame,
    signature: str,
) -> list[str]:
    """Each window's digest: its bounds, its hours of `hourly` and `state` (STATE_COLUMNS), the
    `devices` (one row per device of what the detectors read of it whole), the `outlets`, the
    manual tests overlapping it and the code `signature`."""
    rows = _row_hashes(hourly)
    states = _row_hashes(state.select(STATE_COLUMNS))
    fixed = hashlib.sha256(signature.encode())
    for frame in (devices, outlets):
        fixed.update(np.sort(_hashes(frame)).tobytes())
    out = []
    for w in wins:
        h = fixed.copy()
        tests = w.overlapping(stack_tests)
        h.update(np.sort(_hashes(tests)).tobytes())
        h.update(f"{w.start}|{w.end}|{w.first}|{w.until}".encode())
        for hashes, hours in (rows, states):
            h.update(_span_digest(hashes, hours, w).to_bytes(8, "little"))
        out.append(h.hexdigest()[:32])
    return out
