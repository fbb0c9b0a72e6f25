"""Write the ambient feeds (sources/ambient/) the way the platform and the dust office send them.

- `ambient/stations.csv`: the 13 stations; UTF-8, canonical headers.
- `ambient/hourly/air_hourly_<yyyymm>.csv`: every hour of the generated window (the CEMS days);
  UTF-8 with BOM, Chinese headers, hour-ending times.
- `ambient/daily/air_daily_<yyyy>.csv`: every other day of the window's year; UTF-8 with BOM.
- `ambient/dustfall/dustfall_<yyyy>.csv`: each month, two points per township; GBK.
- `ambient/road_dust/road_dust_<yyyy>.xlsx`: each month, 12 key roads; xlsx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dagster_project.feeds import contracts as fc
from dagster_project.generator.ambient import (
    POLLUTANTS,
    AmbientEvent,
    AmbientTruth,
    daily_o3_8h,
    dustfall_rows,
    road_dust_rows,
    simulate_ambient,
    valid_values,
)
from dagster_project.generator.county import County
from dagster_project.generator.tables import CANONICAL, Style, write_csv, write_xlsx

PLATFORM = Style(datetime_fmt="%Y-%m-%d %H:%M")
DUST_OFFICE = Style()
ROAD_OFFICE = Style()
DUPLICATED_HOUR = (5, 100)  # (station index, hour index in the window): re-sent by the platform


@dataclass
class AmbientResult:
    files: dict[str, int] = field(default_factory=dict)
    events: list[AmbientEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def _cols(spec: fc.FeedSpec) -> list[str]:
    return [c.name for c in spec.columns]


def _value(p: str, v: float) -> float | None:
    if np.isnan(v):
        return None
    return round(float(v), 1) if p == "co" else float(round(float(v)))


def hourly_rows(truth: AmbientTruth, start: date, days: int) -> list[dict[str, Any]]:
    """One row per station and hour of the window; time is the END of the hour."""
    first = truth.hours.index(datetime(start.year, start.month, start.day))
    rows = []
    for i, s in enumerate(truth.stations):
        for k in range(first, first + days * 24):
            row: dict[str, Any] = {
                "station_code": s.code,
                "time_point": truth.hours[k] + timedelta(hours=1),
            }
            for p in POLLUTANTS:
                row[p] = _value(p, truth.values[p][i, k])
                row[f"{p}_flag"] = truth.marks[p][i, k] or None if row[p] is not None else None
            rows.append(row)
    return rows


def daily_rows(truth: AmbientTruth, skip: set[date]) -> list[dict[str, Any]]:
    """The platform's daily statistics of every day not in `skip`, from the valid hours."""
    valid = {p: valid_values(truth, p) for p in POLLUTANTS}
    n_days = len(truth.hours) // 24
    rows = []
    for i, s in enumerate(truth.stations):
        for d in range(n_days):
            day = truth.hours[d * 24].date()
            if day in skip:
                continue
            row: dict[str, Any] = {"station_code": s.code, "date": day}
            for p in POLLUTANTS:
                hours = valid[p][i, d * 24 : (d + 1) * 24]
                ok = hours[~np.isnan(hours)]
                measured = not np.isnan(truth.values[p][i, d * 24 : (d + 1) * 24]).all()
                if p == "o3":
                    mda8, count = daily_o3_8h(hours)
                    row["o3_1h_max"] = round(float(ok.max()), 1) if ok.size else None
                    row["o3_hours"] = ok.size if measured else None
                    row["o3_8h_max"] = None if np.isnan(mda8) else round(float(mda8), 1)
                    row["o3_8h_count"] = count if measured else None
                else:
                    digits = 3 if p == "co" else 1
                    row[p] = round(float(ok.mean()), digits) if ok.size else None
                    row[f"{p}_hours"] = ok.size if measured else None
            rows.append(row)
    return rows


def write_ambient(out: Path, county: County, start: date, days: int, seed: int) -> AmbientResult:
    """Write ambient/ for the year of `start`: hourly files for the window, daily otherwise."""
    res = AmbientResult()
    year = start.year
    truth = simulate_ambient(county, year, seed)
    window = [start + timedelta(days=d) for d in range(days)]
    window = [d for d in window if d.year == year]
    res.events = [e for e in truth.events if e.start.year == year]

    stations = [
        {
            "station_code": s.code,
            "station_name": s.name,
            "station_type": s.kind,
            "township": county.place.name(s.township),
            "longitude": s.longitude,
            "latitude": s.latitude,
            "six_pollutant_since": s.six_pollutant_since,
        }
        for s in truth.stations
    ]
    res.files["ambient/stations.csv"] = write_csv(
        out / "ambient" / "stations.csv",
        fc.AMBIENT_STATIONS,
        stations,
        _cols(fc.AMBIENT_STATIONS),
        CANONICAL,
        "utf-8",
    )

    by_month: dict[str, list[date]] = {}
    for d in window:
        by_month.setdefault(f"{d:%Y%m}", []).append(d)
    for ym, ds in by_month.items():
        rows = hourly_rows(truth, ds[0], len(ds))
        i, k = DUPLICATED_HOUR
        if ym == min(by_month) and len(rows) > i * len(ds) * 24 + k:
            dup = rows[i * len(ds) * 24 + k]
            rows.insert(i * len(ds) * 24 + k + 1, dict(dup))
            res.duplicates.append(f"{dup['station_code']} {dup['time_point']:%Y-%m-%d %H:%M}")
        rel = f"ambient/hourly/air_hourly_{ym}.csv"
        res.files[rel] = write_csv(
            out / rel, fc.AMBIENT_HOURLY, rows, _cols(fc.AMBIENT_HOURLY), PLATFORM, "utf-8-sig"
        )

    rel = f"ambient/daily/air_daily_{year}.csv"
    res.files[rel] = write_csv(
        out / rel,
        fc.AMBIENT_DAILY,
        daily_rows(truth, set(window)),
        _cols(fc.AMBIENT_DAILY),
        PLATFORM,
        "utf-8-sig",
    )
    rel = f"ambient/dustfall/dustfall_{year}.csv"
    res.files[rel] = write_csv(
        out / rel,
        fc.DUSTFALL,
        dustfall_rows(county, year, seed),
        _cols(fc.DUSTFALL),
        DUST_OFFICE,
        "gbk",
    )
    rel = f"ambient/road_dust/road_dust_{year}.xlsx"
    res.files[rel] = write_xlsx(
        out / rel,
        fc.ROAD_DUST,
        {"重点道路颗粒物监控": road_dust_rows(truth, county, year, seed)},
        _cols(fc.ROAD_DUST),
        ROAD_OFFICE,
    )
    return res
