"""World B's clean hourly CEMS data, simulated apart from the county generator.

Noise and operation differ from world A on purpose:
- heavy tails (Student-t, 3 degrees of freedom) on the hour-scale noise; a component shared by
  the outlet's pollutants (combustion upsets); day-scale fuel-batch factors;
- analyser gain drift (a slow day-scale random walk pulled back by calibrations) and a drifting
  flow meter; ambient temperature falling through the autumn, a heating season from 15 November;
- load cycling between set points with ramps, heating demand with morning and evening peaks,
  kilns with car-push ripple, daily and weekly shift starts, spray batches;
- unplanned trips, planned shutdowns and one noisy 30-hour shutdown (draft fan idling, O2 and
  temperature wandering), start-up transients (excess O2, cold furnace, slow stack warm-up);
- lost minutes (valid hours with 50-59 minutes; a few invalid hours flagged D), logger outages
  (absent hours), whole-hour span calibrations (flag C with the span-gas reading), short minute
  calibrations, weekly calibrations, legitimate maintenance (flag M: zero, span check, frozen, or
  the probe out in ambient air), comparison stack tests that agree with the analyser.

Every legitimate event is returned as truth, so the benchmark can tell false findings apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
from scipy.signal import lfilter

from benchmarks.detector_worlds.world_b.kinds import COUNTY, KINDS, Gas, PlantKind
from dagster_project.detectors.inputs import HOURLY_SCHEMA, OUTLET_POLLUTANT_SCHEMA

AMBIENT_O2 = 20.9
HEATING_STARTS = (11, 15)


@dataclass
class GasSpec:
    gas: Gas
    base: float  # typical converted level / limit
    sigma: float  # hour-scale log noise
    rho: float  # its hour-to-hour autocorrelation
    decimals: int


@dataclass
class OutletB:
    mn: str
    outlet_id: str
    enterprise_id: str
    kind: PlantKind
    design_flow: float
    gases: list[GasSpec]
    calibration: str  # hour, minutes, weekly, none
    cal_hour: int
    cal_minutes: int
    cal_span_share: float  # span-gas reading of a whole-hour calibration / span
    minute_data: bool
    flags_stops: bool  # the DAS sends F while stopped (otherwise N with near-zero readings)
    weekdays: int = 6  # working days a week for shift schedules


@dataclass
class Truth:
    """The clean data's legitimate events, per MN (hour starts, inclusive)."""

    stopped: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    routine: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    missing: list[tuple[str, str | None, datetime, datetime]] = field(default_factory=list)
    noisy_shutdown: tuple[str, datetime, datetime] | None = None


def _ar1(
    rng: np.random.Generator, n: int, rho: float, sigma: float, heavy: bool = False
) -> np.ndarray:
    """A stationary AR(1) with marginal std `sigma`; Student-t(3) innovations when `heavy`."""
    # Student-t(3) has variance 3: scaled to unit variance, and cut at 8 (a combustion process does
    # not drop fifty-fold in an hour at steady load; such a reading is a fault, not noise)
    e = np.clip(rng.standard_t(3, n), -8, 8) / np.sqrt(3.0) if heavy else rng.normal(0, 1, n)
    return np.asarray(lfilter([1.0], [1.0, -rho], e * sigma * np.sqrt(1 - rho * rho)))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    out, i, n = [], 0, mask.size
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


# ------------------------------------------------------------------------------------ schedules
def _cycling(rng: np.random.Generator, n: int) -> np.ndarray:
    """Set points held for hours to days, joined by 2-4 h ramps."""
    load = np.empty(n)
    i, level = 0, float(rng.choice([1.0, 0.9, 0.8]))
    while i < n:
        dwell = int(4 + rng.exponential(30))
        load[i : i + dwell] = level
        new = float(rng.choice([1.0, 0.9, 0.8, 0.7, 0.6, 0.5]))
        ramp = int(rng.integers(2, 5))
        a = i + dwell
        for k in range(ramp):
            if a + k < n:
                load[a + k] = level + (new - level) * (k + 1) / ramp
        i, level = a + ramp, new
    return load[:n]


def _schedule(
    o: OutletB, times: list[datetime], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Running mask and load (fraction of design) per hour, before trips and shutdowns."""
    n = len(times)
    hours = np.array([t.hour for t in times])
    wday = np.array([t.weekday() for t in times])
    days = np.array([(t.date() - times[0].date()).days for t in times])
    run = np.ones(n, bool)
    s = o.kind.schedule
    if s == "cycling":
        load = _cycling(rng, n) + _ar1(rng, n, 0.9, 0.03)
    elif s == "heating":
        heat = np.array([(t.month, t.day) >= HEATING_STARTS or t.month < 4 for t in times])
        weather = np.repeat(_ar1(rng, days.max() + 1, 0.7, 0.06), 24)[:n]
        diurnal = np.select(
            [
                np.isin(hours, (5, 6, 7, 8)),
                np.isin(hours, (17, 18, 19, 20, 21)),
                (hours >= 11) & (hours <= 15),
            ],
            [0.1, 0.12, -0.08],
            0.0,
        )
        load = np.where(heat, 0.8, 0.42) + diurnal + weather + _ar1(rng, n, 0.85, 0.03)
    elif s in ("kiln", "furnace"):
        load = 0.92 + _ar1(rng, n, 0.98, 0.04)
        if o.kind.key_industry == "bricks":  # a car pushed every ~100 minutes, seen hourly
            phase = rng.uniform(0, 2 * np.pi)
            load = load + 0.04 * np.sin(2 * np.pi * np.arange(n) * 60 / 100 + phase)
    elif s == "two_shift":
        run = (hours >= 6) & (hours < 22) & (wday < o.weekdays)
        block = np.repeat(rng.choice([0.55, 0.7, 0.85, 0.95], size=n // 4 + 1), 4)[:n]
        load = block + _ar1(rng, n, 0.8, 0.04)
    elif s == "day_shift":
        run = (((hours >= 8) & (hours < 12)) | ((hours >= 13) & (hours < 17))) & (wday < o.weekdays)
        load = np.repeat(rng.uniform(0.6, 1.0, days.max() + 1), 24)[:n] + _ar1(rng, n, 0.6, 0.08)
    elif s == "batches":
        run = np.zeros(n, bool)
        shift = (hours >= 8) & (hours < 19) & (wday < o.weekdays)
        i = 0
        while i < n:
            if shift[i] and rng.random() < 0.5:
                length = int(rng.integers(2, 6))
                run[i : i + length] = shift[i : i + length]
                i += length + int(rng.integers(1, 4))
            else:
                i += 1
        load = rng.uniform(0.5, 1.0, n)
    else:
        raise ValueError(s)
    return run, np.clip(load, 0.3, 1.0)


# ------------------------------------------------------------------------------------ an outlet
def simulate_outlet(
    o: OutletB,
    start: datetime,
    days: int,
    rng: np.random.Generator,
    shutdowns: list[tuple[int, int]],
    noisy: tuple[int, int] | None,
    truth: Truth,
) -> pl.DataFrame:
    """Hourly detector-input rows of one outlet (all its pollutants)."""
    n = days * 24
    times = [start + timedelta(hours=i) for i in range(n)]
    hours = np.array([t.hour for t in times])
    day_no = np.arange(n) / 24.0
    run, load = _schedule(o, times, rng)
    continuous = o.kind.schedule in ("cycling", "heating", "kiln", "furnace")
    # unplanned trips of continuous plants (about one a month), planned and noisy shutdowns
    if continuous and o.kind.schedule != "furnace":
        for _ in range(rng.poisson(days / 30)):
            a = int(rng.integers(24, n - 24))
            run[a : a + int(rng.integers(2, 11))] = False
    for a, b in shutdowns + ([noisy] if noisy else []):
        run[a:b] = False
    for a, b in _runs(~run):
        truth.stopped.setdefault(o.mn, []).append((times[a], times[b]))
    if noisy:
        truth.noisy_shutdown = (o.mn, times[noisy[0]], times[noisy[1] - 1])

    # start-up transients: load ramps up, excess air decays, the furnace is cold
    lo_h, hi_h = o.kind.startup_hours
    startup = np.zeros(n)  # 1 at the first running hour, falling to 0 at the end of the ramp
    if hi_h > 0:
        for a, _b in _runs(run):
            if a == 0:
                continue
            ramp = int(rng.integers(lo_h, hi_h + 1))
            for k in range(min(ramp, n - a)):
                if run[a + k]:
                    startup[a + k] = 1 - k / max(ramp, 1)
                    load[a + k] = min(load[a + k], 0.25 + 0.65 * k / max(ramp, 1))
    load = np.where(run, load, 0.0)

    # flue-gas channels
    season = 1 + 0.04 * day_no / max(days, 1)  # colder, denser air: a little more flow
    meter = np.exp(np.repeat(np.cumsum(rng.normal(0, 0.003, days)), 24))[:n]
    t3 = np.clip(rng.standard_t(3, n), -4, 4)
    flow = o.design_flow * (0.15 + 0.85 * load) * season * meter * (1 + 0.012 * t3)
    idle = np.abs(rng.normal(0.01, 0.006, n)) * o.design_flow
    o2_run = (
        o.kind.o2_full
        + (o.kind.o2_low - o.kind.o2_full) * (1 - load) / 0.7
        + _ar1(rng, n, 0.8, 0.25)
        + o.kind.startup_o2_excess * startup
    )
    o2_stop = AMBIENT_O2 - np.abs(rng.normal(0.1, 0.08, n))
    if noisy:  # draft fan idling, O2 wandering, the odd gust through the stack
        a, b = noisy
        k = b - a
        idle[a:b] = o.design_flow * np.clip(rng.normal(0.08, 0.03, k), 0.01, None)
        gust = rng.random(k) < 0.08
        idle[a:b][gust] *= 2.2
        o2_stop[a:b] = np.clip(20.4 + rng.normal(0, 0.3, k), 19.6, 20.95)
    flow = np.where(run, flow, idle)
    o2 = np.clip(np.where(run, o2_run, o2_stop), 0.5, 20.95)
    ambient = 14 - 12 * day_no / max(days, 1) + 5 * np.sin(2 * np.pi * (hours - 14) / 24)
    target = np.where(
        run, ambient + (o.kind.temp_full - ambient) * (0.55 + 0.45 * load), ambient + 4
    )
    tau = 5.0 if o.kind.source_kind == "kiln" else 1.2  # kilns cool slowly
    temp = np.empty(n)
    prev = target[0]
    for i in range(n):
        prev = target[i] + (prev - target[i]) * np.exp(-1 / tau)
        temp[i] = prev
    temp = temp + rng.normal(0, 0.8, n)

    # validity: lost minutes, calibrations, maintenance
    lost = np.where(rng.random(n) < 0.04, rng.integers(1, 11, n), 0)
    lost = np.where(rng.random(n) < 0.004, rng.integers(16, 41, n), lost)
    cal_min = np.zeros(n, int)
    cal_hour = np.zeros(n, bool)
    monday = np.array([t.weekday() == 0 for t in times])
    if o.calibration == "minutes":
        cal_min = np.where(hours == o.cal_hour, o.cal_minutes, 0)
    elif o.calibration == "hour":
        cal_hour = hours == o.cal_hour
    elif o.calibration == "weekly":
        cal_hour = (hours == o.cal_hour) & monday
    for i in np.flatnonzero(cal_hour | (cal_min > 0)):
        truth.routine.setdefault(o.mn, []).append((times[i], times[i]))
    maint = np.zeros(n, bool)
    maint_style = str(rng.choice(["zero", "span", "frozen", "ambient"]))
    maint_gas = None
    if rng.random() < 0.4:
        a = int(rng.integers(2, days - 2)) * 24 + int(rng.integers(8, 15))
        b = a + int(rng.integers(2, 9))
        maint[a:b] = True
        maint_gas = (
            None
            if rng.random() < 0.6 or maint_style == "ambient"
            else int(rng.integers(len(o.gases)))
        )
        truth.routine.setdefault(o.mn, []).append((times[a], times[b - 1]))
    if maint_style == "ambient" and maint.any():
        o2 = np.where(maint, np.clip(20.75 + rng.normal(0, 0.08, n), 20.4, 20.95), o2)
    o2 = np.round(o2, 2)

    # concentrations
    ref = o.kind.reference_o2
    shared = _ar1(rng, n, 0.85, 0.05, heavy=True)
    gain = np.exp(np.repeat(_ar1(rng, days, 0.97, 0.012), 24))[:n]
    parts = []
    for gi, g in enumerate(o.gases):
        G = g.gas
        fuel = np.repeat(_ar1(rng, days, 0.6, 0.07 if G.code == "a21026" else 0.04), 24)[:n]
        own = _ar1(rng, n, g.rho, g.sigma, heavy=True)
        spikes = np.clip(0.04 * rng.standard_t(3, n), -0.4, 0.4)
        lvl = np.maximum(load, 0.2) / 0.8
        start_factor = {"a21002": 0.7, "a21026": 1.3, "a21001": 1.5, "a34013": 1.2}.get(G.code, 1.0)
        conv = (
            G.limit
            * g.base
            * lvl**G.load_exp
            * np.exp(shared + own + fuel + spikes)
            * (1 + (start_factor - 1) * startup)
        )
        r = conv / G.limit
        hi = r > 0.85
        r[hi] = 0.85 + 0.1 * np.tanh((r[hi] - 0.85) / 0.1)  # control keeps it under the limit
        # the analyser's own reading noise (1 %), after the process and its control
        conv = r * G.limit * (1 + rng.normal(0, 0.01, n))
        meas = conv * (21 - o2) / (21 - ref) if ref is not None else conv.copy()
        meas = meas * gain
        stop_read = np.abs(rng.normal(0, 0.3 * G.dl, n))
        if noisy:
            a, b = noisy
            stop_read[a:b] = rng.normal(0.2 * G.dl, 0.5 * G.dl, b - a)
            stop_read[a:b][rng.random(b - a) < 0.05] += 3 * G.dl
        meas = np.where(run, meas, stop_read)
        flag = np.where(~run & o.flags_stops, "F", "N").astype(object)
        valid = 60 - lost - cal_min
        marked = cal_min.copy()
        minute_mean = meas.copy()
        # whole-hour calibrations: the span-gas reading, flag C, no valid minute
        span_read = o.cal_span_share * G.span * (1 + rng.normal(0, 0.003, n))
        meas = np.where(cal_hour, span_read, meas)
        flag[cal_hour] = "C"
        valid = np.where(cal_hour, 0, valid)
        marked = np.where(cal_hour, 60, marked)
        # maintenance on this analyser
        m = maint & (maint_gas is None or maint_gas == gi)
        if m.any():
            i0 = int(np.flatnonzero(m)[0])
            held = meas[i0 - 1]
            fill = {
                "zero": np.abs(rng.normal(0, 0.3 * G.dl, n)),
                "span": 0.5 * G.span * (1 + rng.normal(0, 0.003, n)),
                "frozen": np.full(n, held),
                "ambient": np.abs(rng.normal(0, 0.3 * G.dl, n)),
            }[maint_style]
            meas = np.where(m, fill, meas)
            flag[m] = "M"
            valid = np.where(m, 0, valid)
            marked = np.where(m, 60, marked)
        meas = np.round(meas, g.decimals)
        invalid_d = (valid < 45) & (flag == "N")
        flag[invalid_d] = "D"
        conv_rep = (
            np.round(meas * (21 - ref) / (21 - np.minimum(o2, 20.95)), 3)
            if ref is not None
            else None
        )
        flow_r = np.round(flow, 3)
        has_minutes = valid > 0
        parts.append(
            pl.DataFrame(
                {
                    "mn": o.mn,
                    "pollutant_code": G.code,
                    "hour_start": times,
                    "avg_measured": meas,
                    "avg_converted": conv_rep if conv_rep is not None else np.full(n, np.nan),
                    "o2": o2,
                    "flow_m3_s": flow_r,
                    "temp_c": np.round(temp, 1),
                    "mass_kg": np.round(meas * flow_r * 3.6e-3, 5),
                    "valid_minutes": valid,
                    "normal_minutes": valid if o.minute_data else np.full(n, -1),
                    "marked_minutes": marked,
                    "minute_mean": np.where(has_minutes, np.round(minute_mean, 3), np.nan)
                    if o.minute_data
                    else np.full(n, np.nan),
                    "is_valid": valid >= 45,
                    "flag": list(flag),
                },
                strict=False,
            )
        )
        for i in np.flatnonzero(invalid_d):
            truth.missing.append((o.mn, G.code, times[i], times[i]))
    out = pl.concat(parts)
    return out.with_columns(
        pl.col("avg_converted").fill_nan(None),
        pl.col("minute_mean").fill_nan(None),
        pl.when(pl.col("normal_minutes") < 0)
        .then(None)
        .otherwise(pl.col("normal_minutes"))
        .alias("normal_minutes"),
    ).select([pl.col(c).cast(t) for c, t in HOURLY_SCHEMA.items()])


def outlet_rows(o: OutletB) -> list[dict]:
    return [
        {
            "mn": o.mn,
            "pollutant_code": g.gas.code,
            "outlet_id": o.outlet_id,
            "enterprise_id": o.enterprise_id,
            "source_kind": o.kind.source_kind,
            "reference_o2": o.kind.reference_o2,
            "limit_mg_m3": g.gas.limit,
            "analyzer_range": g.gas.span,
            "detection_limit": g.gas.dl,
            "key_industry": o.kind.key_industry,
            "fuel": o.kind.fuel,
        }
        for g in o.gases
    ]


def draw_outlets(seed: int, rng: np.random.Generator) -> list[OutletB]:
    outlets = []
    i = 0
    for name, count in COUNTY:
        kind = KINDS[name]
        for _ in range(count):
            gases = [
                GasSpec(
                    g,
                    float(rng.uniform(*g.base)),
                    float(rng.uniform(*g.hour_sigma)),
                    float(rng.uniform(0.55, 0.9)),
                    int(rng.choice(g.decimals)),
                )
                for g in kind.gases
            ]
            outlets.append(
                OutletB(
                    mn=f"B{seed:04d}{i:03d}",
                    outlet_id=f"DA{1 + i % 3:03d}",
                    enterprise_id=f"EB{seed:04d}{i // 2:03d}",
                    kind=kind,
                    design_flow=float(rng.uniform(*kind.design_flow)),
                    gases=gases,
                    calibration=str(rng.choice(kind.calibrations)),
                    cal_hour=int(rng.integers(0, 24)),
                    cal_minutes=int(rng.integers(5, 13)),
                    cal_span_share=float(rng.uniform(0.3, 0.8)),
                    minute_data=bool(rng.random() < 0.2),
                    flags_stops=bool(rng.random() < 0.5),
                    weekdays=int(rng.choice([5, 6])),
                )
            )
            i += 1
    return outlets


def simulate_county(
    seed: int, start: date, days: int
) -> tuple[pl.DataFrame, pl.DataFrame, list[OutletB], Truth]:
    """The clean world-B county: hourly detector input, outlet registry rows, truth."""
    rng = np.random.default_rng([seed, 0xB])
    outlets = draw_outlets(seed, rng)
    t0 = datetime(start.year, start.month, start.day)
    n = days * 24
    truth = Truth()
    continuous = [
        i for i, o in enumerate(outlets) if o.kind.schedule in ("cycling", "heating", "kiln")
    ]
    noisy_idx = int(rng.choice(continuous))
    parts = []
    for i, o in enumerate(outlets):
        shutdowns = []
        if i in continuous and i != noisy_idx and rng.random() < 0.35:
            a = int(rng.integers(3 * 24, n - 6 * 24))
            shutdowns.append((a, a + int(rng.integers(24, 97))))
        noisy = None
        if i == noisy_idx:
            a = int(rng.integers(5 * 24, n - 5 * 24))
            noisy = (a, a + 30)
        parts.append(simulate_outlet(o, t0, days, rng, shutdowns, noisy, truth))
    hourly = pl.concat(parts)
    # logger outages: no packet at all for a few hours
    drops = []
    for _ in range(3):
        o = outlets[int(rng.integers(len(outlets)))]
        a = t0 + timedelta(hours=int(rng.integers(24, n - 24)))
        b = a + timedelta(hours=int(rng.integers(2, 11)) - 1)
        drops.append((o.mn, a, b))
        truth.missing.append((o.mn, None, a, b))
    for mn, a, b in drops:
        hourly = hourly.filter(~((pl.col("mn") == mn) & pl.col("hour_start").is_between(a, b)))
    registry = pl.DataFrame(
        [r for o in outlets for r in outlet_rows(o)], schema=OUTLET_POLLUTANT_SCHEMA
    )
    return hourly, registry, outlets, truth
