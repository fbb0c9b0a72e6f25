"""The hours of a year and the operating calendars of the second world: shifts, seasons,
holidays, maintenance and weeks without orders, start-up ramps. Pure numpy over hourly arrays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from scipy.signal import lfilter


@dataclass(frozen=True)
class Hours:
    """Every hour of one calendar year (local time), with its calendar fields."""

    year: int
    start: np.ndarray  # datetime64[h]

    @classmethod
    def of_year(cls, year: int) -> Hours:
        t0 = np.datetime64(f"{year}-01-01T00", "h")
        t1 = np.datetime64(f"{year + 1}-01-01T00", "h")
        return cls(year, np.arange(t0, t1, dtype="datetime64[h]"))

    @property
    def n(self) -> int:
        return len(self.start)

    @property
    def hour_of_day(self) -> np.ndarray:
        return (self.start - self.start.astype("datetime64[D]")).astype(int)

    @property
    def weekday(self) -> np.ndarray:  # Monday 0
        return (self.start.astype("datetime64[D]").astype(int) + 3) % 7

    @property
    def month(self) -> np.ndarray:  # 1..12
        return self.start.astype("datetime64[M]").astype(int) % 12 + 1

    @property
    def day_of_year(self) -> np.ndarray:  # 0-based
        return (self.start.astype("datetime64[D]") - np.datetime64(f"{self.year}-01-01")).astype(
            int
        )

    def between(self, first: date, last_exclusive: date) -> np.ndarray:
        a = np.datetime64(first.isoformat(), "h")
        b = np.datetime64(last_exclusive.isoformat(), "h")
        return (self.start >= a) & (self.start < b)

    def index_of_month(self, month: int) -> int:
        """Index of the first hour of `month` (1..12)."""
        return int(np.argmax(self.month == month))

    def index(self, t: datetime) -> int:
        return int((np.datetime64(t.isoformat(timespec="hours"), "h") - self.start[0]).astype(int))

    def datetime(self, i: int) -> datetime:
        return datetime(self.year, 1, 1) + timedelta(hours=int(i))


def heating_season(h: Hours) -> np.ndarray:
    """15 November – 15 March (heating, and the staggered-production window of plan task 32)."""
    y = h.year
    return h.between(date(y, 1, 1), date(y, 3, 16)) | h.between(date(y, 11, 15), date(y + 1, 1, 1))


def spring_festival(h: Hours, before: int, after: int) -> np.ndarray:
    """Days around the Spring Festival (22 January in 2023; 10 February in 2024; else mid-Feb)."""
    eve = {2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29)}.get(
        h.year, date(h.year, 2, 5)
    )
    return h.between(eve - timedelta(days=before), eve + timedelta(days=after))


def shifts(h: Hours, start_hour: int, end_hour: int, days: tuple[int, ...]) -> np.ndarray:
    hod, wd = h.hour_of_day, h.weekday
    return (hod >= start_hour) & (hod < end_hour) & np.isin(wd, days)


def day_shift(h: Hours) -> np.ndarray:
    """08-12 and 13-18 Monday to Friday, 08-12 on Saturday."""
    hod, wd = h.hour_of_day, h.weekday
    weekday = (wd < 5) & (((hod >= 8) & (hod < 12)) | ((hod >= 13) & (hod < 18)))
    return weekday | ((wd == 5) & (hod >= 8) & (hod < 12))


def random_stops(
    h: Hours, rng: np.random.Generator, count: int, days: tuple[int, int]
) -> np.ndarray:
    """`count` stops of `days` (min, max) whole days each, at random dates."""
    out = np.zeros(h.n, dtype=bool)
    n_days = h.n // 24
    for _ in range(count):
        length = int(rng.integers(days[0], days[1] + 1))
        first = int(rng.integers(0, max(1, n_days - length)))
        out[first * 24 : (first + length) * 24] = True
    return out


def month_mask(h: Hours, months: tuple[int, ...]) -> np.ndarray:
    return np.isin(h.month, months)


def ar1(rng: np.random.Generator, n: int, a: float, sigma: float) -> np.ndarray:
    """A stationary AR(1) series with lag-one correlation `a` and standard deviation `sigma`."""
    e = rng.normal(0.0, sigma * np.sqrt(1 - a * a), n)
    e[0] = rng.normal(0.0, sigma)
    return np.asarray(lfilter([1.0], [1.0, -a], e))


def ramps(run: np.ndarray, hours: int) -> np.ndarray:
    """Position (1..hours) of each running hour within the first `hours` after a start; 0 else."""
    out = np.zeros(len(run), dtype=int)
    k = hours + 1
    prev = True
    for i, r in enumerate(run):
        if r and not prev:
            k = 1
        out[i] = k if (r and k <= hours) else 0
        k = k + 1 if r else hours + 1
        prev = bool(r)
    return out


def monthly_series(
    rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float, persistence: float
) -> np.ndarray:
    """12 monthly values (e.g. fuel sulfur of each month's coal batches), autocorrelated."""
    x = ar1(rng, 12, persistence, sd) + mean
    return np.clip(x, lo, hi)
