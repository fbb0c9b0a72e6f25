"""Per outlet × pollutant series on a full hourly grid, with the physics operating state joined:
the common shape the statistical detectors work on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
import polars as pl

from dagster_project.detectors.inputs import DetectorInputs


@dataclass
class Series:
    mn: str
    pollutant_code: str
    times: list[datetime]  # full hourly grid
    measured: np.ndarray  # NaN where absent
    converted: np.ndarray
    o2: np.ndarray
    flow: np.ndarray
    temp: np.ndarray
    valid: np.ndarray  # bool: row present and valid
    present: np.ndarray  # bool: row present
    flag: np.ndarray  # str ('' where absent)
    marked_minutes: np.ndarray  # float, NaN where unknown
    state: np.ndarray  # str: running / stopped / transition / unknown
    flow_vote: np.ndarray  # float 1/0/NaN: the flow channel's vote for running
    temp_vote: np.ndarray  # float 1/0/NaN
    limit: float | None
    span: float | None
    detection_limit: float | None
    reference_o2: float | None
    source_kind: str | None
    o2_informative: bool

    @property
    def compliance(self) -> np.ndarray:
        """The value judged against the limit: converted where a reference O2 applies."""
        return self.converted if self.reference_o2 is not None else self.measured

    # Computed once per series (every detector asks, several times): read-only, so a caller
    # that wants to change one works on a copy.
    @cached_property
    def running(self) -> np.ndarray:
        return _read_only(self.state == "running")

    @cached_property
    def usable(self) -> np.ndarray:
        """Running, valid, normally flagged hours with a value: what statistics look at."""
        return _read_only(
            self.running & self.valid & (self.flag == "N") & np.isfinite(self.measured)
        )

    def zero_tol(self, span_share: float) -> float:
        """What counts as zero (as in the SQL zero rule): a share of the analyser span, or the
        detection limit where that is lower (a reading under the detection limit is zero)."""
        tol = span_share * (self.span or 0.0)
        return min(tol, self.detection_limit) if self.detection_limit else tol


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _arr(frame: pl.DataFrame, col: str) -> np.ndarray:
    """A column as float64, null as NaN (numpy's conversion of a float column does that)."""
    return frame.get_column(col).cast(pl.Float64).to_numpy()


HOUR = timedelta(hours=1)


def positions_on(own: Series, other: Series) -> np.ndarray:
    """For each hour of `other`'s grid, its position on `own`'s grid (-1 outside it). Both grids
    are hourly, so the hours line up by the offset of their first hours; grids whose first hours
    are not a whole number of hours apart (never built here) are matched hour by hour."""
    n, m = len(own.times), len(other.times)
    if not n or not m:
        return np.full(m, -1, np.int64)
    offset, rest = divmod(other.times[0] - own.times[0], HOUR)
    if rest:
        pos = {t: i for i, t in enumerate(own.times)}
        return np.array([pos.get(t, -1) for t in other.times], np.int64)
    idx = np.arange(offset, offset + m, dtype=np.int64)
    return np.where((idx >= 0) & (idx < n), idx, -1)


class _Hours:
    """The hours of every series' grid as one list of datetimes, each series' times a slice of
    it: the same values as a list per series, without making millions of datetime objects."""

    def __init__(self, first: datetime | None, last: datetime | None) -> None:
        self.first = first
        self.all: list[datetime] = (
            pl.datetime_range(first, last, "1h", eager=True).cast(pl.Datetime("us")).to_list()
            if first is not None and last is not None
            else []
        )

    def grid(self, start: datetime, n: int) -> list[datetime]:
        """The `n` hours from `start`."""
        if self.first is not None:
            offset, rest = divmod(start - self.first, HOUR)
            if not rest and offset + n <= len(self.all):
                return self.all[offset : offset + n]
        return [start + k * HOUR for k in range(n)]


_HOUR_US = 3_600_000_000


@dataclass
class _Text:
    """A string column as codes into its distinct strings plus a default (the last word, for
    null and for hours without a row)."""

    codes: np.ndarray
    words: np.ndarray  # object array

    @classmethod
    def of(cls, col: pl.Series, default: str) -> _Text:
        words = col.drop_nulls().unique().sort()
        codes = col.replace_strict(words, pl.int_range(words.len(), eager=True), default=None)
        null = words.len()
        return cls(
            codes.fill_null(null).cast(pl.Int64).to_numpy(),
            np.array([*words.to_list(), default], dtype=object),
        )

    def laid(self, n: int, pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The strings of `rows` at grid positions `pos` of `n` hours, the default elsewhere,
        as a numpy unicode array as wide as its longest string."""
        out = np.full(n, len(self.words) - 1)
        out[pos] = self.codes[rows]
        width = max(1, *(len(w) for w in self.words[np.unique(out)]))
        return self.words[out].astype(f"<U{width}")


@dataclass
class _Rows:
    """A frame sorted by hour within each key, as numpy columns, and where each key's rows start
    and end: what `iter_series` lays on each series' grid."""

    hour: np.ndarray  # int64 microseconds
    floats: dict[str, np.ndarray]  # NaN for null
    bounds: dict[tuple, tuple[int, int]]

    @classmethod
    def of(cls, frame: pl.DataFrame, keys: list[str], floats: list[str]) -> _Rows:
        hour = frame.get_column("hour_start").cast(pl.Datetime("us")).to_physical().to_numpy()
        runs = (
            frame.select(keys)
            .with_row_index("row")
            .group_by(keys, maintain_order=True)
            .agg(pl.col("row").min().alias("a"), pl.col("row").max().alias("b"))
        )
        bounds = {tuple(r[:-2]): (int(r[-2]), int(r[-1]) + 1) for r in runs.iter_rows()}
        return cls(hour, {c: _arr(frame, c) for c in floats}, bounds)

    def on_grid(self, key: tuple, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The key's rows that fall on the hourly grid of `n` hours from `first` (microseconds),
        and their positions on it."""
        a, b = self.bounds.get(key, (0, 0))
        offset = self.hour[a:b] - first
        pos = offset // _HOUR_US
        on = (offset % _HOUR_US == 0) & (pos >= 0) & (pos < n)
        return np.arange(a, b)[on], pos[on]

    def laid(self, col: str, n: int, pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Float column `col` of `rows` at grid positions `pos` of `n` hours, NaN elsewhere."""
        out = np.full(n, np.nan)
        out[pos] = self.floats[col][rows]
        return out


HOURLY_FLOATS = ("avg_measured", "avg_converted", "o2", "flow_m3_s", "temp_c", "marked_minutes")


def iter_series(
    inputs: DetectorInputs, state: pl.DataFrame, o2_informative_p25: float
) -> Iterator[Series]:
    """One Series per outlet × pollutant, laid on its hourly grid (from its first to its last
    reported hour), with the device's operating state at each hour. Each row is placed at its
    hour's position on the grid: a few numpy operations per series, no join."""
    meta = {(r["mn"], r["pollutant_code"]): r for r in inputs.outlets.iter_rows(named=True)}
    o2_p25 = {r[0]: r[1] for r in state.group_by("mn").agg(pl.col("o2_p25").first()).iter_rows()}
    hourly = inputs.hourly  # sorted by mn, pollutant_code, hour_start (DetectorInputs)
    rows = _Rows.of(hourly, ["mn", "pollutant_code"], list(HOURLY_FLOATS))
    is_valid = hourly.get_column("is_valid").fill_null(False).to_numpy()
    flag = _Text.of(hourly.get_column("flag"), "")
    st = state.select("mn", "hour_start", "state", "flow_vote", "temp_vote").sort(
        "mn", "hour_start", maintain_order=True
    )
    states = _Rows.of(st, ["mn"], ["flow_vote", "temp_vote"])
    op_state = _Text.of(st.get_column("state"), "unknown")
    hours = hourly.get_column("hour_start")
    shared = _Hours(hours.min(), hours.max())  # type: ignore[arg-type]
    for (mn, pol), (a, b) in rows.bounds.items():
        first = int(rows.hour[a])
        n = (int(rows.hour[a:b].max()) - first) // _HOUR_US + 1
        at, pos = rows.on_grid((mn, pol), first, n)
        s_at, s_pos = states.on_grid((mn,), first, n)
        present, valid = np.zeros(n, bool), np.zeros(n, bool)
        present[pos] = True
        valid[pos] = is_valid[at]
        m = meta.get((mn, pol), {})
        p25 = o2_p25.get(mn)
        yield Series(
            mn=str(mn),
            pollutant_code=str(pol),
            times=shared.grid(datetime(1970, 1, 1) + timedelta(microseconds=first), n),
            measured=rows.laid("avg_measured", n, pos, at),
            converted=rows.laid("avg_converted", n, pos, at),
            o2=rows.laid("o2", n, pos, at),
            flow=rows.laid("flow_m3_s", n, pos, at),
            temp=rows.laid("temp_c", n, pos, at),
            valid=valid,
            present=present,
            flag=flag.laid(n, pos, at),
            marked_minutes=rows.laid("marked_minutes", n, pos, at),
            state=op_state.laid(n, s_pos, s_at),
            flow_vote=states.laid("flow_vote", n, s_pos, s_at),
            temp_vote=states.laid("temp_vote", n, s_pos, s_at),
            limit=m.get("limit_mg_m3"),
            span=m.get("analyzer_range"),
            detection_limit=m.get("detection_limit"),
            reference_o2=m.get("reference_o2"),
            source_kind=m.get("source_kind"),
            o2_informative=p25 is not None and p25 == p25 and p25 < o2_informative_p25,
        )


def cut(s: Series, start: datetime, end: datetime) -> Series | None:
    """The series over the hours `start`..`end` as `iter_series` builds it from those hours' rows
    alone: from its first to its last reported hour there (None without any), every array a copy
    (a detector may work on its own)."""
    n = len(s.times)
    if not n:
        return None
    lo = max(0, min(n, (start - s.times[0]) // HOUR + (1 if (start - s.times[0]) % HOUR else 0)))
    hi = max(0, min(n, (end - s.times[0]) // HOUR + 1))
    reported = np.flatnonzero(s.present[lo:hi])
    if not reported.size:
        return None
    a, b = lo + int(reported[0]), lo + int(reported[-1]) + 1
    if (a, b) == (0, n):
        return s
    arrays = {
        f.name: getattr(s, f.name)[a:b].copy()
        for f in fields(Series)
        if isinstance(getattr(s, f.name), np.ndarray)
    }
    return replace(s, times=s.times[a:b], **arrays)


def by_device(series: Sequence[Series]) -> dict[str, list[Series]]:
    """The series of each device (MN), in their order."""
    out: dict[str, list[Series]] = {}
    for s in series:
        out.setdefault(s.mn, []).append(s)
    return out


def month_slices(times: list[datetime]) -> list[tuple[int, int]]:
    """[start, end) index ranges of calendar months on the grid."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(times) + 1):
        if i == len(times) or (times[i].year, times[i].month) != (
            times[start].year,
            times[start].month,
        ):
            out.append((start, i))
            start = i
    return out


def mad(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if x.size else float("nan")
