"""Ambient air quality of the synthetic county: stations, hourly six-pollutant data, monthly
dust-fall and key-road particulate readings (plan tasks 13, 33, 35).

Physics (deliberately simple, but with the shapes an analyst expects):
* a regional background per pollutant with Henan's seasonal cycle (PM, SO2, NO2, CO high in
  winter; O3 high in early summer), multi-day weather episodes (a daily AR(1) factor shared by
  every station) and a residential-heating step on 15 November;
* diurnal shapes: PM and CO peak at night and in the morning, NO2 at the rush hours with a
  midday dip, SO2 at late morning (fumigation), O3 in the afternoon;
* local factors from the county itself: townships with more dusty industry (bricks, sand and
  gravel, cement, casting…) have more PM10 and dust-fall, those with more combustion (heat and
  power, chemicals, glass, fertilizer…) more SO2 and NO2; the city stations more NO2 and CO;
* the platform's realism: a weekly zero/span check hour on the gas analysers, short outages,
  analyser faults that leave days below the HJ 663 data-capture rules, hotspots (task 33),
  and three township stations that gained SO2/NO2/CO/O3 only in the second upgrade batch
  (task 35, networked by the end of September 2023).

Everything is drawn from numpy's PCG64 seeded with the county's seed: the same arguments give
the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from dagster_project.generator.county import TOWNSHIP_CENTRES, County, Place

POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
# Monthly regional level (January…December): µg/m³ (CO mg/m³; O3 the afternoon level).
CLIMATE: dict[str, tuple[float, ...]] = {
    "pm25": (88, 70, 52, 43, 36, 30, 27, 25, 31, 43, 62, 80),
    "pm10": (135, 118, 108, 98, 84, 64, 54, 55, 64, 84, 112, 128),
    "so2": (15, 12, 10, 9, 8, 7, 6, 6, 7, 9, 12, 15),
    "no2": (40, 34, 29, 25, 21, 17, 15, 16, 21, 29, 37, 41),
    "co": (1.3, 1.1, 0.9, 0.8, 0.7, 0.65, 0.65, 0.7, 0.75, 0.85, 1.1, 1.3),
    "o3": (52, 68, 92, 120, 150, 165, 158, 145, 128, 96, 62, 48),
}
DUSTY = {"bricks", "sand_gravel", "cement", "ceramics", "casting", "refractory"}
COMBUSTION = {"heat_power", "chemicals", "glass", "fertilizer", "bricks", "cement"}
SECOND_BATCH = (
    "谷旦镇",
    "赵和镇",
    "槐树乡",
)  # township stations upgraded to six pollutants 2023-09
SECOND_BATCH_SINCE = date(2023, 9, 28)
FIRST_BATCH_SINCE = date(2022, 9, 30)
HEATING_START = (11, 15)


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    kind: str  # control | township
    township: str
    longitude: float
    latitude: float
    six_pollutant_since: date | None  # None: six pollutants from the start (control stations)


@dataclass(frozen=True)
class AmbientEvent:
    station: str
    kind: str
    pollutant: str
    start: datetime  # first hour (start of the hour)
    hours: int
    note: str


@dataclass
class AmbientTruth:
    stations: list[Station]
    hours: list[datetime]  # hour starts, every hour of the year
    values: dict[str, np.ndarray]  # pollutant -> (stations, hours), nan where not measured
    marks: dict[str, np.ndarray]  # pollutant -> (stations, hours) data mark ('' = normal)
    events: list[AmbientEvent]


def stations(place: Place | None = None) -> list[Station]:
    """The county's 13 stations; codes start with the county code, coordinates at its place
    (`township` keeps the canonical name, the station file spells it with `place.name`)."""
    place = place or Place()
    d = place.division
    city = (
        ("市政府", "河雍街道", 112.8003, 34.9071),
        ("国土资源局", "会昌街道", 112.7791, 34.9138),
    )
    out = [
        Station(f"{d}00{i}", name, "control", township, *place.at(lon, lat, 4), None)
        for i, (name, township, lon, lat) in enumerate(city, 1)
    ]
    for i, (township, (lon, lat)) in enumerate(TOWNSHIP_CENTRES.items(), 1):
        since = SECOND_BATCH_SINCE if township in SECOND_BATCH else FIRST_BATCH_SINCE
        lon, lat = round(lon + 0.004 * ((i % 3) - 1), 4), round(lat + 0.003 * ((i % 2) * 2 - 1), 4)
        lon, lat = place.at(lon, lat, 4)
        out.append(Station(f"{d}1{i:02d}", f"{township}站", "township", township, lon, lat, since))
    return out


def township_factors(county: County) -> dict[str, tuple[float, float]]:
    """(dust factor, combustion factor) per township from its enterprises."""
    out = {}
    for township in TOWNSHIP_CENTRES:
        ents = [e for e in county.enterprises if e.township == township]
        dusty = sum(e.key_industry in DUSTY for e in ents)
        burning = sum(e.key_industry in COMBUSTION for e in ents)
        out[township] = (min(1.0 + 0.06 * dusty, 1.45), min(1.0 + 0.09 * burning, 1.6))
    return out


def _bell(h: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-((h - centre) ** 2) / (2 * width**2))


DIURNAL: dict[str, np.ndarray] = {}
_h = np.arange(24, dtype=float)
DIURNAL["pm25"] = 1 + 0.22 * np.cos(2 * np.pi * (_h - 22) / 24) + 0.12 * _bell(_h, 8.5, 1.5)
DIURNAL["pm10"] = 1 + 0.15 * np.cos(2 * np.pi * (_h - 22) / 24) + 0.2 * _bell(_h, 9, 2)
DIURNAL["co"] = 1 + 0.2 * np.cos(2 * np.pi * (_h - 22) / 24) + 0.15 * _bell(_h, 8, 1.5)
DIURNAL["no2"] = 1 + 0.35 * _bell(_h, 8, 1.5) + 0.45 * _bell(_h, 20, 2.5) - 0.35 * _bell(_h, 14, 3)
DIURNAL["so2"] = 1 + 0.45 * _bell(_h, 11, 2.5)
DIURNAL["o3"] = 0.3 + 0.85 * _bell(_h, 15, 3.2)
for _p in ("pm25", "pm10", "co", "no2", "so2"):
    DIURNAL[_p] = DIURNAL[_p] / DIURNAL[_p].mean()


def _weather(rng: np.random.Generator, days: int, phi: float, sigma: float) -> np.ndarray:
    """A daily AR(1) log-factor, interpolated to hours."""
    x = np.zeros(days + 1)
    for d in range(1, days + 1):
        x[d] = phi * x[d - 1] + rng.normal(0, sigma)
    hourly = np.interp(np.arange(days * 24) / 24, np.arange(days + 1), x)
    return np.exp(hourly)


def simulate_ambient(county: County, year: int, seed: int) -> AmbientTruth:
    rng = np.random.default_rng([seed, 212_663])
    sts = stations(county.place)
    start = datetime(year, 1, 1)
    n_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    hours = [start + timedelta(hours=i) for i in range(n_days * 24)]
    n = len(hours)
    month = np.array([t.month - 1 for t in hours])
    hod = np.array([t.hour for t in hours])
    heating = np.array([(t.month, t.day) >= HEATING_START for t in hours])
    stagnation = _weather(rng, n_days, 0.72, 0.33)
    sunshine = _weather(rng, n_days, 0.6, 0.16)
    factors = township_factors(county)

    values: dict[str, np.ndarray] = {}
    for p in POLLUTANTS:
        level = np.asarray(CLIMATE[p])[month] * DIURNAL[p][hod]
        if p == "o3":
            level = level * sunshine / np.where(heating, 1.05, 1.0)
        else:
            level = level * stagnation ** (0.6 if p in ("so2", "no2") else 1.0)
            level = level * np.where(heating, 1.15 if p in ("pm25", "co", "so2") else 1.05, 1.0)
        grid = np.empty((len(sts), n))
        for i, s in enumerate(sts):
            dust, burning = factors[s.township]
            local = {
                "pm10": dust,
                "pm25": 1 + (dust - 1) * 0.4 + (burning - 1) * 0.3,
                "so2": burning,
                "no2": 1 + (burning - 1) * 0.6 + (0.25 if s.kind == "control" else 0.0),
                "co": 1 + (burning - 1) * 0.3 + (0.1 if s.kind == "control" else 0.0),
                "o3": 1 - (burning - 1) * 0.15 - (0.06 if s.kind == "control" else 0.0),
            }[p]
            noise = np.exp(rng.normal(0, 0.12, n))
            grid[i] = level * local * noise
        values[p] = grid
    marks = {p: np.full((len(sts), n), "", dtype=object) for p in POLLUTANTS}
    events = _realism(rng, sts, hours, values, marks)
    for i, s in enumerate(sts):  # not measured before the six-pollutant upgrade
        if s.six_pollutant_since is not None:
            before = np.array([t.date() < s.six_pollutant_since for t in hours])
            for p in ("so2", "no2", "co", "o3"):
                values[p][i, before] = np.nan
                marks[p][i, before] = ""
    return AmbientTruth(sts, hours, values, marks, events)


def _realism(
    rng: np.random.Generator,
    sts: list[Station],
    hours: list[datetime],
    values: dict[str, np.ndarray],
    marks: dict[str, np.ndarray],
) -> list[AmbientEvent]:
    """Hotspots, checks, outages and faults; returns the documented events."""
    index = {t: k for k, t in enumerate(hours)}
    code = {s.name: i for i, s in enumerate(sts)}
    year = hours[0].year
    events: list[AmbientEvent] = []

    def at(name: str, p: str, start: datetime, n: int, kind: str, note: str, **how: float) -> None:
        i, k = code[name], index[start]
        if "add" in how:
            values[p][i, k : k + n] += how["add"] * np.linspace(0.7, 1.0, n)
        if "mark" in how:
            marks[p][i, k : k + n] = str(how["mark"])
        events.append(AmbientEvent(sts[i].code + " " + name, kind, p, start, n, note))

    # Weekly zero/span check of each gas analyser: one hour, marked, not valid.
    for i in range(len(sts)):
        for p in ("so2", "no2", "co", "o3"):
            offset = int(rng.integers(0, 7)) * 24 + int(rng.integers(1, 5))  # 01:00-04:00
            for k in range(offset, len(hours), 7 * 24):
                marks[p][i, k] = "PZ" if (k // (7 * 24)) % 2 else "PS"
    # Short outages (communication failure): 2-5 hours of every pollutant, a few per station.
    for i in range(len(sts)):
        for _ in range(6):
            k, n = int(rng.integers(0, len(hours) - 6)), int(rng.integers(2, 6))
            for p in POLLUTANTS:
                marks[p][i, k : k + n] = "BB"
    # Task 33: SO2 hotspots at the two city stations (household coal near the station at night).
    nov = datetime(year, 11, 1)
    for name, day, add in (("市政府", 7, 140.0), ("国土资源局", 21, 110.0), ("市政府", 27, 90.0)):
        at(
            name,
            "so2",
            nov + timedelta(days=day - 1, hours=19),
            4,
            "hotspot",
            "SO2 far above the other stations (task 33)",
            add=add,
        )
    at(
        "国土资源局",
        "so2",
        datetime(year, 2, 3, 19),
        5,
        "hotspot",
        "SO2 evening hotspot in the daily data",
        add=120.0,
    )
    at(
        "南庄镇站",
        "pm10",
        nov + timedelta(days=15, hours=9),
        3,
        "hotspot",
        "construction dust beside the station",
        add=260.0,
    )
    # HJ 663 data-capture cases.
    at(
        "化工镇站",
        "pm25",
        nov + timedelta(days=9, hours=2),
        6,
        "analyser_fault",
        "PM2.5 monitor fault: 18 valid hours, day not valid",
        mark="B",
    )
    at(
        "城伯镇站",
        "o3",
        nov + timedelta(days=12, hours=9),
        8,
        "analyser_fault",
        "O3 fault 09:00-17:00: fewer than 14 valid 8-h means",
        mark="B",
    )
    at(
        "西虢镇站",
        "pm25",
        datetime(year, 7, 10),
        6 * 24,
        "analyser_fault",
        "PM2.5 monitor away for repair 6 days: month not valid (< 27 days)",
        mark="B",
    )
    return events


def daily_o3_8h(o3_day: np.ndarray, min_hours: int = 6) -> tuple[float, int]:
    """(max, count) of the valid 8-h means of one day's 24 hourly O3 values (nan = invalid),
    windows ending 08:00…24:00."""
    means = []
    for end in range(8, 25):
        w = o3_day[end - 8 : end]
        ok = w[~np.isnan(w)]
        if ok.size >= min_hours:
            means.append(ok.mean())
    return (max(means) if means else float("nan")), len(means)


def valid_values(truth: AmbientTruth, p: str) -> np.ndarray:
    """Values with every marked hour set to nan (what counts for the daily statistics)."""
    v = truth.values[p].copy()
    v[truth.marks[p] != ""] = np.nan
    return v


def dustfall_rows(county: County, year: int, seed: int) -> list[dict]:
    """Two sampling points per township, one value a month (t/(km²·month), 30-day basis)."""
    rng = np.random.default_rng([seed, 7_2023])
    season = (0.95, 1.1, 1.35, 1.45, 1.3, 0.9, 0.7, 0.72, 0.85, 1.0, 1.05, 1.0)
    factors = township_factors(county)
    rows = []
    for t_i, township in enumerate(TOWNSHIP_CENTRES):
        dust = factors[township][0]
        for pt in (1, 2):
            for m in range(1, 13):
                days = (date(year + (m == 12), m % 12 + 1, 1) - date(year, m, 1)).days
                value = 4.6 * season[m - 1] * dust**1.6 * float(np.exp(rng.normal(0, 0.16)))
                rows.append(
                    {
                        "point_code": county.place.name(f"JC{t_i + 1:02d}{pt}"),
                        "point_name": f"{township}{'东' if pt == 1 else '西'}降尘点",
                        "township": county.place.name(township),
                        "period": f"{year}-{m:02d}",
                        "dustfall_t_km2_month": round(value, 2),
                        "sampling_days": days - int(rng.integers(0, 3)),
                    }
                )
    # A sampler knocked over: reported with no value (must land in the rejects).
    rows[5]["dustfall_t_km2_month"] = "/"
    return rows


ROADS = (
    ("DL01", "河阳大街", "national_provincial", "河阳街道"),
    ("DL02", "韩愈大道", "national_provincial", "大定街道"),
    ("DL03", "会昌路", "back_street", "会昌街道"),
    ("DL04", "河雍路", "urban_rural_fringe", "河雍街道"),
    ("DL05", "化工大道", "county_township", "化工镇"),
    ("DL06", "南庄镇区路", "county_township", "南庄镇"),
    ("DL07", "城伯工业路", "county_township", "城伯镇"),
    ("DL08", "谷旦镇区路", "county_township", "谷旦镇"),
    ("DL09", "西虢砖瓦路", "urban_rural_fringe", "西虢镇"),
    ("DL10", "赵和镇区路", "county_township", "赵和镇"),
    ("DL11", "槐树乡道", "county_township", "槐树乡"),
    ("DL12", "西环路", "urban_rural_fringe", "大定街道"),
)


def road_dust_rows(truth: AmbientTruth, county: County, year: int, seed: int) -> list[dict]:
    """Monthly roadside PM10 and dust load per key road: the township station's monthly PM10
    raised by the road's own dust."""
    rng = np.random.default_rng([seed, 13_2023])
    factors = township_factors(county)
    station_of = {s.township: i for i, s in enumerate(truth.stations) if s.kind == "township"}
    months = np.array([t.month for t in truth.hours])
    pm10 = valid_values(truth, "pm10")
    rows = []
    for road_code, name, road_class, township in ROADS:
        extra = {"national_provincial": 1.35, "county_township": 1.25}.get(road_class, 1.45)
        for m in range(1, 13):
            station_mean = float(np.nanmean(pm10[station_of[township], months == m]))
            road = extra * factors[township][0] ** 0.5 * float(np.exp(rng.normal(0, 0.1)))
            rows.append(
                {
                    "road_code": county.place.name(road_code),
                    "road_name": name,
                    "road_class": road_class,
                    "township": county.place.name(township),
                    "period": f"{year}-{m:02d}",
                    "pm10_ug_m3": round(station_mean * road),
                    "dust_load_g_m2": round(0.35 * road**3 * float(np.exp(rng.normal(0, 0.2))), 2),
                }
            )
    return rows
