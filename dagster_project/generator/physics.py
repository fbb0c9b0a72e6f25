"""Physical truth of every monitored outlet, minute by minute, before any packet is written.

Per outlet the simulation draws an operating schedule from its profile, a load fraction, and from
load the flue-gas state: flow ∝ load, O2 falls as load rises (ambient 20.9 % when stopped), stack
temperature follows load with thermal lag, concentrations on the converted basis follow load and
control performance; measured = converted × (21 − O2) / (21 − O2_ref). Minutes are rounded as a
logger would send them, and hours are aggregated from the rounded minutes (HJ 212 App. D:
Avg over the valid minutes, ≥ 45 for an N hour; Cou = Avg × flow × 3600 × 1e-6 kg).

Public: `simulate(county, start, days, seed, ...) -> Truth`, the `OutletTruth` frames (polars)
and the `Event` list describing every deliberate event (shutdown, calibration, maintenance,
gap, exceedance, high-but-legal day).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

import numpy as np
import polars as pl
from scipy.signal import lfilter

from dagster_project.generator.county import County, Outlet

AMBIENT_O2 = 20.9
MIN_VALID_MINUTES = 45
AUX = ("flow_m3_s", "o2_pct", "temp_c", "pressure_kpa", "humidity_pct", "velocity_m_s")
AUX_DECIMALS = {
    "flow_m3_s": 3,
    "o2_pct": 2,
    "temp_c": 1,
    "pressure_kpa": 3,
    "humidity_pct": 2,
    "velocity_m_s": 2,
}
CONC_DECIMALS = 3
KG_DECIMALS = 4


@dataclass(frozen=True)
class Event:
    """A deliberate, documented feature of the clean sample."""

    mn: str
    kind: str  # shutdown, calibration, maintenance, missing, exceedance, high_legal, startup
    start: datetime
    end: datetime
    pollutant: str | None = None
    note: str = ""


@dataclass
class OutletTruth:
    """Frames of one monitored outlet. Columns (hourly and minute share one schema):

    mn, time (period start, local), load_frac, state (running|stopped), transmitted (bool: False
    = no packet sent), flag (device/aux flag), valid_minutes (N minutes; 1/0 for a minute row),
    for each aux in AUX: <aux>, <aux>_min, <aux>_max; flow_m3 (volume in the period);
    per pollutant p (pm, so2, nox, nmhc, nh3): p_mg_m3 (measured, standard dry), p_mg_m3_min,
    p_mg_m3_max, p_zs_mg_m3 (converted to reference O2; null without one), p_zs_mg_m3_min,
    p_zs_mg_m3_max, p_kg (mass in the period), p_flag (HJ 212-2017 flag).
    """

    outlet: Outlet
    hourly: pl.DataFrame
    minute: pl.DataFrame | None = None
    # builds the minute frame on demand: a county-year's minute frames do not fit in memory
    minute_source: Callable[[], pl.DataFrame] | None = field(default=None, repr=False)

    @property
    def has_minutes(self) -> bool:
        return self.minute is not None or self.minute_source is not None

    def minute_frame(self) -> pl.DataFrame | None:
        """The minute frame, built now when it is produced on demand."""
        if self.minute is not None or self.minute_source is None:
            return self.minute
        return self.minute_source()


@dataclass
class Truth:
    start: date
    days: int
    outlets: dict[str, OutletTruth] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def _window_event(
    mn: str, kind: str, t0: datetime, s: int, e: int, *, pollutant: str | None = None, note: str
) -> Event:
    """The event covering hours s..e-1 of the simulation (hour indices from t0, as in the plan)."""
    return Event(mn, kind, t0 + timedelta(hours=s), t0 + timedelta(hours=e), pollutant, note)


def in_heating_season(d: date) -> bool:
    """15 Nov - 15 Mar: heating season and the staggered-production window (plan task 32)."""
    return (d.month, d.day) >= (11, 15) or (d.month, d.day) <= (3, 15)


def _ar1(rng: np.random.Generator, n: int, a: float, sigma: float) -> np.ndarray:
    white = rng.normal(0.0, sigma * np.sqrt(1 - a * a), n)
    out = lfilter([1.0], [1.0, -a], white)
    return np.asarray(out)


def _schedule(
    o: Outlet, hours: list[datetime], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Hourly running mask and target load fraction from the outlet's profile."""
    n = len(hours)
    run = np.ones(n, dtype=bool)
    load = np.empty(n)
    for i, h in enumerate(hours):
        hd, wd, heat = h.hour, h.weekday(), in_heating_season(h.date())
        if o.profile in ("continuous", "staggered"):
            load[i] = 0.88
            if o.profile == "staggered" and heat:
                run[i] = False
        elif o.profile in ("heat_demand", "heating_only"):
            base = 0.82 if heat else 0.5
            if o.profile == "heating_only" and not heat:
                run[i] = False
            diurnal = (
                0.1 if hd in (5, 6, 7, 8, 17, 18, 19, 20, 21) else -0.08 if 11 <= hd <= 15 else 0.0
            )
            load[i] = base + diurnal
        elif o.profile == "two_shift":
            run[i] = 6 <= hd < 22 and wd < 6
            load[i] = 0.78
        elif o.profile == "day_shift":
            run[i] = (8 <= hd < 12 or 13 <= hd < 18) and wd < 6
            load[i] = 0.8
        else:
            raise ValueError(f"unknown profile {o.profile}")
    load = np.clip(load + _ar1(rng, n, 0.9, 0.05), 0.3, 1.0)
    # start-up ramp after every stop -> run transition (boilers and kilns take hours to reach load)
    if o.source_kind in ("boiler", "kiln"):
        for i in range(1, n):
            if run[i] and not run[i - 1]:
                for k, frac in enumerate((0.35, 0.55, 0.75)):
                    if i + k < n and run[i + k]:
                        load[i + k] = min(load[i + k], frac)
    return run, load


def _compress(x: np.ndarray, limit: float) -> np.ndarray:
    """Control equipment keeps the converted level under the limit: a smooth saturation
    above 80 % of it."""
    r = x / limit
    hi = r > 0.8
    r[hi] = 0.8 + 0.15 * np.tanh((r[hi] - 0.8) / 0.15)
    return r * limit


def _simulate_outlet(
    o: Outlet, start: date, days: int, seed: int, plan: dict
) -> tuple[dict[str, np.ndarray], list[Event]]:
    """Minute arrays of one outlet (already rounded), plus its events."""
    assert o.mn is not None
    rng = np.random.default_rng([seed, zlib.crc32(o.mn.encode())])
    t0 = datetime(start.year, start.month, start.day)
    n_h = days * 24
    n_m = n_h * 60
    hours = [t0 + timedelta(hours=i) for i in range(n_h)]
    run_h, load_h = _schedule(o, hours, rng)
    events: list[Event] = []

    for s, e in plan.get("shutdowns", []):
        run_h[s:e] = False
        events.append(
            _window_event(o.mn, "shutdown", t0, s, min(e, n_h), note="planned maintenance shutdown")
        )
    if o.profile in ("staggered", "heating_only"):
        idx = np.flatnonzero(~run_h)
        if idx.size:
            note = (
                "staggered production (错峰生产)"
                if o.profile == "staggered"
                else "outside heating season"
            )
            events.append(
                _window_event(o.mn, "shutdown", t0, int(idx[0]), int(idx[-1]) + 1, note=note)
            )

    run = np.repeat(run_h, 60)
    load = np.repeat(load_h, 60) + _ar1(rng, n_m, 0.97, 0.02)
    load = np.where(run, np.clip(load, 0.2, 1.0), 0.0)
    minute_idx = np.arange(n_m)
    hour_of_day = (minute_idx // 60) % 24
    day_no = minute_idx / 1440.0

    # flue-gas state
    flow = np.where(
        run,
        o.design_flow_m3_s * (0.12 + 0.88 * load) * (1 + rng.normal(0, 0.012, n_m)),
        np.abs(rng.normal(0.0, 0.002 * o.design_flow_m3_s, n_m)),
    )
    o2 = np.where(
        run,
        o.o2_full + (o.o2_low - o.o2_full) * (1 - load) / 0.7 + _ar1(rng, n_m, 0.9, 0.12),
        AMBIENT_O2 + rng.normal(0, 0.02, n_m),
    )
    o2 = np.clip(o2, 0.5, 20.95)
    ambient = 11 + 5 * np.sin(2 * np.pi * (hour_of_day - 9) / 24) - 0.15 * day_no
    target_t = np.where(
        run, ambient + (o.temp_full_c - ambient) * (0.55 + 0.45 * load), ambient + 1.5
    )
    alpha = 1 / 45.0  # thermal lag of the duct, about 45 minutes
    temp, _ = lfilter([alpha], [1, alpha - 1], target_t, zi=[target_t[0] * (1 - alpha)])
    temp = temp + rng.normal(0, 0.3, n_m)
    humidity = np.where(
        run,
        o.humidity_pct * (0.85 + 0.15 * load) + rng.normal(0, 0.15, n_m),
        2.0 + rng.normal(0, 0.1, n_m),
    )
    pressure = np.where(
        run, -0.12 - 0.25 * load + rng.normal(0, 0.01, n_m), rng.normal(-0.005, 0.003, n_m)
    )
    actual_full = o.design_flow_m3_s * (273 + o.temp_full_c) / 273 / (1 - o.humidity_pct / 100)
    area = actual_full / 14.0
    velocity = (
        flow * (273 + temp) / 273 * 101.325 / (101.325 + pressure) / (1 - humidity / 100) / area
    )

    arrays: dict[str, np.ndarray] = {
        "flow_m3_s": np.round(flow, 3),
        "o2_pct": np.round(o2, 2),
        "temp_c": np.round(temp, 1),
        "pressure_kpa": np.round(pressure, 3),
        "humidity_pct": np.round(humidity, 2),
        "velocity_m_s": np.round(velocity, 2),
        "load_frac": np.round(load, 3),
        "run": run,
    }

    # minute flags: N running, F stopped, C daily zero/span calibration, M maintenance
    flags = np.where(run, "N", "F").astype("<U1")
    cal_start = int(rng.integers(60, 240))  # 01:00-04:00, outlet-specific
    for d in range(days):
        s = d * 1440 + cal_start
        flags[s : s + 10] = "C"
        if d == 0:
            events.append(
                Event(
                    o.mn,
                    "calibration",
                    hours[0] + timedelta(minutes=cal_start),
                    hours[0] + timedelta(minutes=cal_start + 10),
                    note="daily zero/span calibration, 10 minutes, every day at this time",
                )
            )
    for s, e in plan.get("maintenance", []):
        flags[s * 60 : e * 60] = "M"
        events.append(_window_event(o.mn, "maintenance", t0, s, e, note="analyser maintenance"))
    arrays["flag"] = flags

    # concentrations, converted basis first
    ref = o.reference_o2
    hourly_noise = {p: np.repeat(_ar1(rng, n_h, 0.85, 0.10), 60) for p in o.pollutants}
    for p in o.pollutants:
        limit = o.limits[p]
        frac = np.full(n_m, o.base_fraction[p])
        for s, e in plan.get("high_legal", {}).get(p, []):
            frac[s * 60 : e * 60] = 0.78
        conv = (
            limit * frac * (0.7 + 0.4 * load) * np.exp(hourly_noise[p] + rng.normal(0, 0.06, n_m))
        )
        conv = _compress(conv, limit)
        for s, e, factor in plan.get("exceedances", {}).get(p, []):
            conv[s * 60 : e * 60] = limit * factor * (1 + rng.normal(0, 0.03, (e - s) * 60))
        conv = np.where(run, conv, 0.0)
        measured = conv * (21 - arrays["o2_pct"]) / (21 - ref) if ref is not None else conv
        measured = np.maximum(measured, 0.0)
        # calibration minutes read zero gas, then span gas at 80 % of the analyser range
        rng_full = o.analyzer_range[p]
        cal_vals = np.where(
            (minute_idx - cal_start) % 1440 < 5,
            rng.uniform(0, 0.01, n_m) * rng_full,
            0.8 * rng_full * (1 + rng.normal(0, 0.005, n_m)),
        )
        measured = np.where(flags == "C", cal_vals, measured)
        arrays[f"{p}_mg_m3"] = np.round(measured, CONC_DECIMALS)
    for p, windows in plan.get("exceedances", {}).items():
        for s, e, factor in windows:
            note = f"converted about {factor:.2f} x limit {o.limits[p]:g} mg/m3"
            events.append(_window_event(o.mn, "exceedance", t0, s, e, pollutant=p, note=note))
    for p, windows in plan.get("high_legal", {}).items():
        for s, e in windows:
            note = "high but under the limit"
            events.append(_window_event(o.mn, "high_legal", t0, s, e, pollutant=p, note=note))
    return arrays, events


def _zs(measured: np.ndarray, o2: np.ndarray, ref: float | None) -> np.ndarray | None:
    if ref is None:
        return None
    return np.round(measured * (21 - ref) / np.maximum(21 - o2, 0.1), CONC_DECIMALS)


def _minute_frame(
    o: Outlet,
    a: dict[str, np.ndarray],
    t0: datetime,
    lo: int,
    hi: int,
    transmitted: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Minute rows lo..hi (CN 2051, 1-minute interval)."""
    sl = slice(lo, hi)
    n = hi - lo
    flags = a["flag"][sl]
    cols: dict[str, object] = {
        "mn": [o.mn] * n,
        "time": _times(t0 + timedelta(minutes=lo), n, "1m"),
        "load_frac": a["load_frac"][sl],
        "state": np.where(a["run"][sl], "running", "stopped"),
        "transmitted": transmitted[sl],
        "flag": np.where(flags == "F", "F", "N"),
        "valid_minutes": (flags == "N").astype(np.int64),
    }
    for x in AUX:
        v = a[x][sl]
        spread = np.abs(rng.normal(0, 0.004, n)) * np.abs(v)
        d = AUX_DECIMALS[x]
        cols[x], cols[f"{x}_min"], cols[f"{x}_max"] = (
            v,
            np.round(v - spread, d),
            np.round(v + spread, d),
        )
    cols["flow_m3"] = np.round(a["flow_m3_s"][sl] * 60, 3)
    o2 = a["o2_pct"][sl]
    for p in o.pollutants:
        v = a[f"{p}_mg_m3"][sl]
        spread = np.abs(rng.normal(0, 0.03, n)) * v
        vmin, vmax = np.round(v - spread, CONC_DECIMALS), np.round(v + spread, CONC_DECIMALS)
        cols[f"{p}_mg_m3"], cols[f"{p}_mg_m3_min"], cols[f"{p}_mg_m3_max"] = v, vmin, vmax
        cols[f"{p}_zs_mg_m3"] = _zs(v, o2, o.reference_o2)
        cols[f"{p}_zs_mg_m3_min"] = _zs(vmin, o2, o.reference_o2)
        cols[f"{p}_zs_mg_m3_max"] = _zs(vmax, o2, o.reference_o2)
        cols[f"{p}_kg"] = np.round(v * a["flow_m3_s"][sl] * 60e-6, 6)
        cols[f"{p}_flag"] = flags
    return _frame(cols, o, n)


def _times(first: datetime, n: int, step: str) -> pl.Series:
    """n period starts from `first`, `step` apart."""
    if n == 0:
        return pl.Series("time", [], dtype=pl.Datetime("us"))
    last = first + (n - 1) * (timedelta(minutes=1) if step == "1m" else timedelta(hours=1))
    return pl.datetime_range(first, last, step, time_unit="us", eager=True).alias("time")


def _frame(cols: dict[str, object], o: Outlet, n: int) -> pl.DataFrame:
    data = {}
    for k, v in cols.items():
        data[k] = pl.Series(k, [None] * n, dtype=pl.Float64) if v is None else v
    return pl.DataFrame(data).with_columns(pl.col("time").cast(pl.Datetime("us")))


def _hourly_frame(
    o: Outlet, a: dict[str, np.ndarray], t0: datetime, n_h: int, transmitted_h: np.ndarray
) -> pl.DataFrame:
    flags = a["flag"].reshape(n_h, 60)
    n_valid = (flags == "N").sum(axis=1)
    n_f = (flags == "F").sum(axis=1)
    n_m = (flags == "M").sum(axis=1)
    hour_flag = np.where(n_valid >= MIN_VALID_MINUTES, "N", np.where(n_f >= n_m, "F", "M"))
    # the minutes an hour's pollutant values are drawn from: those carrying the hour's flag
    use = flags == hour_flag[:, None]
    cnt = np.maximum(use.sum(axis=1), 1)
    cols: dict[str, object] = {
        "mn": [o.mn] * n_h,
        "time": _times(t0, n_h, "1h"),
        "load_frac": np.round(a["load_frac"].reshape(n_h, 60).mean(axis=1), 3),
        "state": np.where(a["run"].reshape(n_h, 60).sum(axis=1) >= 30, "running", "stopped"),
        "transmitted": transmitted_h,
        "flag": np.where(hour_flag == "F", "F", "N"),
        "valid_minutes": n_valid.astype(np.int64),
    }
    for x in AUX:
        m = a[x].reshape(n_h, 60)
        d = AUX_DECIMALS[x]
        cols[x], cols[f"{x}_min"], cols[f"{x}_max"] = (
            np.round(m.mean(axis=1), d),
            m.min(axis=1),
            m.max(axis=1),
        )
    flow_h = cols["flow_m3_s"]
    assert isinstance(flow_h, np.ndarray)
    cols["flow_m3"] = np.round(flow_h * 3600, 1)
    o2_h = cols["o2_pct"]
    assert isinstance(o2_h, np.ndarray)
    o2_m = a["o2_pct"].reshape(n_h, 60)
    for p in o.pollutants:
        m = a[f"{p}_mg_m3"].reshape(n_h, 60)
        avg = np.round(np.where(use, m, 0.0).sum(axis=1) / cnt, CONC_DECIMALS)
        vmin = np.where(use, m, np.inf).min(axis=1)
        vmax = np.where(use, m, -np.inf).max(axis=1)
        vmin, vmax = np.minimum(vmin, avg), np.maximum(vmax, avg)
        cols[f"{p}_mg_m3"], cols[f"{p}_mg_m3_min"], cols[f"{p}_mg_m3_max"] = avg, vmin, vmax
        zs = _zs(avg, o2_h, o.reference_o2)
        cols[f"{p}_zs_mg_m3"] = zs
        if zs is None:
            cols[f"{p}_zs_mg_m3_min"] = cols[f"{p}_zs_mg_m3_max"] = None
        else:
            zm = _zs(m, o2_m, o.reference_o2)
            assert zm is not None
            zmin = np.minimum(np.where(use, zm, np.inf).min(axis=1), zs)
            zmax = np.maximum(np.where(use, zm, -np.inf).max(axis=1), zs)
            cols[f"{p}_zs_mg_m3_min"], cols[f"{p}_zs_mg_m3_max"] = zmin, zmax
        cols[f"{p}_kg"] = np.round(avg * flow_h * 3600e-6, KG_DECIMALS)
        cols[f"{p}_flag"] = hour_flag
    return _frame(cols, o, n_h)


def _plan_events(county: County, start: date, days: int, seed: int) -> dict[str, dict]:
    """Which outlet gets which deliberate event (hour indices from the start)."""
    rng = random.Random(seed * 31 + 5)
    n_h = days * 24
    mons = county.monitored_outlets
    plans: dict[str, dict] = {o.mn: {} for o in mons if o.mn}

    def day_hour(day: int, hour: int) -> int:
        return min(max(day, 0), days - 1) * 24 + hour

    # legitimate maintenance shutdowns of continuous units (a day or so, on hour boundaries)
    for o in mons:
        if o.profile in ("continuous", "heat_demand") and rng.random() < 0.3 and days >= 3:
            s = day_hour(rng.randint(1, days - 2), rng.randint(6, 18))
            plans[o.mn]["shutdowns"] = [(s, min(s + rng.randint(12, 36), n_h))]  # type: ignore[index]
    # analyser maintenance windows (daytime, 2-4 h) on a quarter of the outlets
    for o in mons:
        if rng.random() < 0.25:
            s = day_hour(rng.randint(0, days - 1), rng.randint(9, 14))
            plans[o.mn]["maintenance"] = [(s, min(s + rng.randint(2, 4), n_h))]  # type: ignore[index]

    def pick(pred, pollutant: str) -> Outlet | None:
        cands = [
            o
            for o in mons
            if pred(o)
            and pollutant in o.pollutants
            and o.protocol == "2017"
            and o.profile != "heating_only"
        ]
        return cands[rng.randrange(len(cands))] if cands else None

    # two or three real exceedances (flag N, converted over the limit)
    specs = [
        (
            lambda o: o.source_kind == "boiler" and o.fuel == "coal",
            "so2",
            3,
            1.45,
            "desulfurisation slurry pump trip",
        ),
        (lambda o: o.key_industry == "bricks", "nox", 2, 1.3, "SNCR ammonia feed interrupted"),
        (lambda o: o.key_industry == "glass", "pm", 2, 1.6, "bag filter compartment burst"),
    ]
    for pred, p, dur, factor, _why in specs:
        o = pick(pred, p)
        if o is None or days < 3:
            continue
        s = day_hour(rng.randint(2, max(2, min(days - 2, 12))), rng.randint(9, 16))
        plans[o.mn].setdefault("exceedances", {}).setdefault(p, []).append(
            (s, min(s + dur, n_h), factor)
        )
    # a high-but-legal day
    o = pick(lambda o: o.source_kind == "boiler" and o.fuel == "coal", "nox")
    if o is not None and days >= 2:
        d = rng.randint(1, days - 1)
        plans[o.mn].setdefault("high_legal", {}).setdefault("nox", []).append((d * 24, d * 24 + 24))
    # a few missing hours (communication outages), on three outlets
    modern = [o for o in mons if o.protocol == "2017"]
    gap_outlets = rng.sample(modern, k=min(3, len(modern)))
    for o in gap_outlets:
        s = day_hour(rng.randint(0, days - 1), rng.randint(0, 20))
        plans[o.mn]["missing"] = [(s, min(s + rng.randint(3, 6), n_h))]
    # a second high-but-legal day, on a brick kiln's SO2 (drawn last: earlier events stay put)
    o = pick(lambda o: o.key_industry == "bricks" and o.profile == "continuous", "so2")
    if o is not None and days >= 2:
        d = rng.randint(0, days - 1)
        plans[o.mn].setdefault("high_legal", {}).setdefault("so2", []).append((d * 24, d * 24 + 24))
    return plans


def hourly_transmitted(plan: dict, n_h: int) -> np.ndarray:
    """Which hours the logger sends (False during the plan's communication outages)."""
    transmitted = np.ones(n_h, dtype=bool)
    for s, e in plan.get("missing", []):
        transmitted[s:e] = False
    return transmitted


def minute_outlets(county: County, k: int = 2) -> list[str]:
    """The outlets whose minute data (CN 2051) is serialised: a coal boiler and a brick kiln."""
    chosen: list[str] = []
    for pred in (
        lambda o: o.fuel == "coal" and o.source_kind == "boiler",
        lambda o: o.key_industry == "bricks" and o.profile == "continuous",
        lambda o: o.key_industry == "chemicals" and o.source_kind == "voc",
    ):
        for o in county.monitored_outlets:
            if pred(o) and o.protocol == "2017" and o.mn not in chosen:
                chosen.append(o.mn)  # type: ignore[arg-type]
                break
        if len(chosen) >= k:
            break
    return chosen


def minute_outlets_share(county: County, share: float, seed: int) -> list[str]:
    """A share of the CEMS outlets, drawn from those with a 2017 logger (legacy loggers send
    hourly data only here), independently of dates: a county keeps its minute outlets from one
    generated period to the next."""
    candidates = sorted(o.mn for o in county.monitored_outlets if o.protocol == "2017" and o.mn)
    k = min(len(candidates), round(share * len(county.monitored_outlets)))
    random.Random(seed * 101 + 51).shuffle(candidates)
    return sorted(candidates[:k])


def simulate(
    county: County,
    start: date,
    days: int,
    seed: int,
    *,
    minute_mns: list[str] | None = None,
    minute_days: int = 2,
    lazy_minutes: bool = False,
) -> Truth:
    """The clean physical truth of every monitored outlet (no packets yet).

    `minute_mns` (default `minute_outlets(county)`) get minute frames for the first
    `minute_days` days; every outlet gets an hourly frame for all `days`. `lazy_minutes`: minute
    frames are built on demand (`OutletTruth.minute_frame()`, same values), not kept.
    """
    if minute_mns is None:
        minute_mns = minute_outlets(county)
    plans = _plan_events(county, start, days, seed)
    t0 = datetime(start.year, start.month, start.day)
    truth = Truth(start=start, days=days)
    n_h = days * 24
    for o in county.monitored_outlets:
        assert o.mn is not None
        plan = plans[o.mn]
        arrays, events = _simulate_outlet(o, start, days, seed, plan)
        transmitted_h = hourly_transmitted(plan, n_h)
        for s, e in plan.get("missing", []):
            note = "logger offline: no packets for these hours"
            events.append(_window_event(o.mn, "missing", t0, s, e, note=note))
        hourly = _hourly_frame(o, arrays, t0, n_h, transmitted_h)
        ot = OutletTruth(o, hourly)
        if o.mn in minute_mns and minute_days > 0:
            hi = min(minute_days, days) * 1440

            def minutes(
                o: Outlet = o, arrays: dict | None = arrays, plan: dict = plan, hi: int = hi
            ) -> pl.DataFrame:
                assert o.mn is not None
                if arrays is None:  # built on demand: the same physics again
                    arrays = _simulate_outlet(o, start, days, seed, plan)[0]
                rng = np.random.default_rng([seed, zlib.crc32(o.mn.encode()), 2051])
                sent = np.repeat(hourly_transmitted(plan, n_h), 60)
                return _minute_frame(o, arrays, t0, 0, hi, sent, rng)

            if lazy_minutes:
                ot.minute_source = partial(minutes, arrays=None)
            else:
                ot.minute = minutes()
        truth.outlets[o.mn] = ot
        truth.events.extend(events)
    truth.events.sort(key=lambda e: (e.start, e.mn, e.kind))
    return truth
