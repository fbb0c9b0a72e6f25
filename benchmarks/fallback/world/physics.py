"""Physics of the second world: each unit's year, hour by hour.

A unit runs on its calendar (`operate`), at a load; load drives its fuel, production or solvent
use, its stack flow and O2. Emissions are mass first (kg/h), from what is burnt or made and how
well the controls work that hour; the CEMS then sees concentration = mass / flow. Each kind of
unit scales its nominal emission so that at full load and nominal control its stack shows a
typical converted concentration (`targets`), then lets the hour's conditions move it: monthly
fuel sulfur and ash, desulfurization that drifts between overhauls or lapses when nobody doses
the alkali, bag filters that age, SCR that loses its temperature window at low load, SNCR that
wanders day to day, activated carbon that saturates between irregular replacements, an RTO
bypassed for a week, VOC escaping uncaptured, and NMHC measured as carbon.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from fallback.world.calendar import (
    Hours,
    ar1,
    day_shift,
    heating_season,
    monthly_series,
    ramps,
    random_stops,
    shifts,
    spring_festival,
)
from fallback.world.controls import bag_filter, carbon_bed, daily, drifting, scr_window
from fallback.world.plants import Stack, Unit

AMBIENT_O2 = 20.9
Item = tuple[str, str, str]  # (category, item, unit) as the activity ledger writes them


@dataclass
class UnitYear:
    """One unit's hourly year. `kg` are stack emissions by pollutant (VOC as compound mass;
    `carbon_fraction` converts it to NMHC as carbon, what a CEMS reports); `fugitive_kg` is
    VOC that escapes uncaptured. `services` are the hours a control was renewed (carbon
    replaced, FGD overhauled, bags changed), which some test habits chase."""

    unit: Unit
    run: np.ndarray
    load: np.ndarray
    activity: dict[Item, np.ndarray] = field(default_factory=dict)
    sulfur_pct: np.ndarray | None = None  # 12 monthly values of the fuel
    ash_pct: np.ndarray | None = None
    voc_pct: dict[Item, float] = field(default_factory=dict)
    flow: np.ndarray | None = None  # Nm3/h, standard dry
    o2: np.ndarray | None = None
    temp: np.ndarray | None = None
    kg: dict[str, np.ndarray] = field(default_factory=dict)
    fugitive_kg: np.ndarray | None = None
    carbon_fraction: float = 1.0
    services: list[int] = field(default_factory=list)


# ----------------------------------------------------------------------------- calendars
def coldness(h: Hours) -> np.ndarray:
    """0 in summer, 1 in mid-January."""
    return np.clip(np.cos(2 * np.pi * (h.day_of_year - 15) / 365.0), 0.0, 1.0)


def operate(h: Hours, rng: np.random.Generator, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """(running, load) of a unit from its schedule and its stops."""
    n, hod = h.n, h.hour_of_day
    sched = p["schedule"]
    heat = heating_season(h)
    noise = ar1(rng, n, 0.97, 0.04)
    if sched == "continuous":
        run = np.ones(n, dtype=bool)
        load = 0.9 + noise - 0.2 * random_stops(h, rng, 2, (7, 20))  # weeks of weak demand
    elif sched in ("heat", "heat_standby"):
        run = np.ones(n, dtype=bool) if sched == "heat" else heat.copy()
        if sched == "heat_standby":  # runs in summer only for a few weeks of process steam
            run |= random_stops(h, rng, 1, (18, 28)) & ~heat
        diurnal = np.where(np.isin(hod, (6, 7, 8, 18, 19, 20)), 0.07, 0.0)
        load = np.where(heat, 0.72, 0.45) + 0.18 * coldness(h) + diurnal + noise
    elif sched == "heating_only":
        run = heat.copy()
        night = np.where((hod < 7) | (hod >= 20), 0.1, -0.05)
        load = 0.35 + 0.5 * coldness(h) + night + noise
    elif sched == "shift2":
        run = shifts(h, 6, 22, (0, 1, 2, 3, 4, 5))
        load = 0.8 + 2 * noise
    elif sched == "day":
        run = day_shift(h)
        load = 0.75 + 2 * noise
    elif sched == "melt":  # a cupola melts three days a week
        run = shifts(h, 7, 15, (1, 3, 5))
        load = 0.85 + noise
    elif sched == "seasonal":  # monthly demand weights, e.g. fertilizer seasons
        weights = np.asarray(p["months"], dtype=float)[h.month - 1]
        run = weights > 0
        load = weights * 0.9 + noise
    elif sched == "harvest":  # herb drying: round the clock from October to mid-January
        y = h.year
        run = h.between(date(y, 1, 1), date(y, 1, 20)) | h.between(
            date(y, 10, 5), date(y + 1, 1, 1)
        )
        load = 0.85 + noise
    elif sched == "batch":  # the fans run round the clock, the reactors in batches
        run = np.ones(n, dtype=bool)
        load = _batches(h, rng, p.get("batches_per_day", (2, 4)))
    else:
        raise ValueError(f"unknown schedule {sched}")
    stops = np.zeros(n, dtype=bool)
    if "spring_festival" in p:
        stops |= spring_festival(h, *p["spring_festival"])
    if p.get("staggered"):
        stops |= heat
    stops |= random_stops(h, rng, p.get("maintenance", 1), (5, 14))
    stops |= random_stops(h, rng, p.get("weeks_off", 0), (5, 10))
    if "rain_stop" in p:  # brick works stop when the clay is too wet
        y = h.year
        first = date(y, 7, 1).toordinal() + int(rng.integers(0, 25))
        stops |= h.between(date.fromordinal(first), date.fromordinal(first + p["rain_stop"]))
    run &= ~stops
    load = np.where(run, np.clip(load, 0.15, 1.0), 0.0)
    ramp_hours = p.get("ramp_hours", 3)
    r = ramps(run, ramp_hours)
    load = np.where(r > 0, np.minimum(load, 0.25 + 0.6 * r / ramp_hours), load)
    return run, load


def _batches(h: Hours, rng: np.random.Generator, per_day: tuple[int, int]) -> np.ndarray:
    load = np.full(h.n, 0.12)  # breathing and cleaning between batches
    for d in range(h.n // 24):
        for _ in range(int(rng.integers(per_day[0], per_day[1] + 1))):
            s = d * 24 + int(rng.integers(0, 24))
            load[s : s + int(rng.integers(4, 8))] = rng.uniform(0.8, 1.0)
    return load


def per_hour(h: Hours, monthly: np.ndarray) -> np.ndarray:
    return monthly[h.month - 1]


# ----------------------------------------------------------------------------- the flue gas
def flue(s: Stack, run: np.ndarray, load: np.ndarray, rng: np.random.Generator):
    n = len(run)
    q = s.q_full * (s.q_floor + (1 - s.q_floor) * load) * (1 + ar1(rng, n, 0.9, 0.015))
    q = np.where(run, q, s.q_full * np.abs(rng.normal(0.01, 0.005, n)))
    o2 = (
        s.o2_full
        + (s.o2_low - s.o2_full) * np.clip((1 - load) / 0.7, 0, 1)
        + ar1(rng, n, 0.9, 0.15)
    )
    o2 = np.where(run, np.clip(o2, 1.0, 20.6), AMBIENT_O2 + rng.normal(0, 0.03, n))
    temp = np.where(run, 25 + (s.temp_full - 25) * (0.6 + 0.4 * load), 18 + rng.normal(0, 1, n))
    return q, o2, temp


def measured_at_full(s: Stack, converted: float) -> float:
    """mg/m3 at the stack at full load for a converted concentration."""
    if s.ref_o2 is None:
        return converted
    return converted * (21 - s.o2_full) / (21 - s.ref_o2)


def scaled(
    u: Unit, y: UnitYear, driver: np.ndarray, driver_full: float, shapes: dict[str, np.ndarray]
) -> None:
    """kg/h per pollutant = g × driver × shape, with g chosen so that at full load and nominal
    shape 1 the stack shows the unit's target converted concentration. Pollutants the stack
    does not carry are skipped."""
    s = u.stack
    assert s is not None
    for pol, shape in shapes.items():
        if pol not in s.pollutants:
            continue
        g = measured_at_full(s, u.p["targets"][pol]) * s.q_full * 1e-6 / driver_full
        y.kg[pol] = np.where(y.run, g * driver * shape, 0.0)


def ratio(x: np.ndarray, nominal: float) -> np.ndarray:
    return x / nominal


def penetration_ratio(eta: np.ndarray, nominal: float) -> np.ndarray:
    return (1 - eta) / (1 - nominal)


# ----------------------------------------------------------------------------- unit kinds
def _fuel_quality(h: Hours, rng: np.random.Generator, y: UnitYear, p: dict) -> None:
    s_mean, s_sd = p["sulfur"]
    y.sulfur_pct = np.round(monthly_series(rng, s_mean, s_sd, 0.05, 3.0, 0.5), 2)
    a_mean, a_sd = p.get("ash", (20.0, 3.0))
    y.ash_pct = np.round(monthly_series(rng, a_mean, a_sd, 2.0, 45.0, 0.4), 1)


def coal_boiler(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["cap"] * 0.145  # t coal per hour at full steam
    coal = np.where(y.run, full * (0.08 + 0.92 * y.load), 0.0)
    y.activity[("fuel", "原煤", "t")] = coal
    _fuel_quality(h, rng, y, p)
    fgd, sv = drifting(h, rng, 0.975, 0.001, service_month=p.get("overhaul", 8))
    dust, bags = bag_filter(h, rng, 0.9993, 0.9985)
    dust = 1 - (1 - dust) * 0.4  # a wet ESP behind the bags
    sncr = daily(h, rng, 0.4, 0.07)
    nox_eta = 1 - (1 - sncr) * (1 - scr_window(y.load, 0.85))
    y.services = sv + bags
    scaled(
        u,
        y,
        coal,
        full,
        {
            "so2": ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]) * penetration_ratio(fgd, 0.975),
            "pm": ratio(per_hour(h, y.ash_pct), 20.0) * penetration_ratio(dust, 1 - 0.0007 * 0.4),
            "nox": (0.8 + 0.3 * y.load) / 1.1 * penetration_ratio(nox_eta, 1 - 0.6 * 0.15),
        },
    )


def gas_boiler(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["cap"] * 75 / 1e4  # 10^4 m3 gas per hour at full steam
    gas = np.where(y.run, full * (0.1 + 0.9 * y.load), 0.0)
    y.activity[("fuel", "天然气", "万立方米")] = gas
    nox = (0.7 + 0.4 * y.load) / 1.1
    if p.get("fgr_closed_months"):  # the operator shuts the recirculation valve for capacity
        nox = np.where(np.isin(h.month, p["fgr_closed_months"]), nox * 1.45, nox)
    scaled(u, y, gas, full, {"pm": 1 + 0 * gas, "so2": 1 + 0 * gas, "nox": nox})


def biomass_boiler(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["cap"] * 0.2
    fuel = np.where(y.run, full * (0.08 + 0.92 * y.load), 0.0)
    y.activity[("fuel", "生物质成型燃料", "t")] = fuel
    _fuel_quality(h, rng, y, p)
    fuel_n = monthly_series(rng, 1.0, 0.2, 0.6, 1.5, 0.6)  # straw months carry more nitrogen
    shapes = {
        "so2": ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]),
        "pm": ratio(per_hour(h, y.ash_pct), p["ash"][0]),
        "nox": per_hour(h, fuel_n) * (0.85 + 0.15 * y.load),
    }
    if p.get("desulf"):
        eta, sv = drifting(h, rng, 0.75, 0.008, service_month=p.get("overhaul", 6))
        shapes["so2"] = shapes["so2"] * penetration_ratio(eta, 0.75)
        y.services = sv
    if p.get("sncr"):
        shapes["nox"] = shapes["nox"] * penetration_ratio(daily(h, rng, 0.45, 0.08), 0.45)
    scaled(u, y, fuel, full, shapes)


def brick_kiln(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["capacity"] / 7800.0  # 10^4 bricks per hour at full load
    heating_up = ramps(y.run, p.get("ramp_hours", 48)) > 0  # fuel burnt, nothing fired yet
    bricks = np.where(y.run & ~heating_up, full * y.load, 0.0)
    gangue = np.where(y.run, 1.05 * full * np.where(heating_up, 0.6, y.load), 0.0)
    y.activity[("product", "烧结砖", "万块标砖")] = bricks
    y.activity[("fuel", "煤矸石", "t")] = gangue
    _fuel_quality(h, rng, y, p)
    tech = u.attrs.get("desulfurization")
    nominal, loss, lapses = {
        "wet_limestone": (0.88, 0.01, 0),
        "simple_alkali": (0.70, 0.0, 4),
        "dust_desulf_integrated": (0.55, 0.02, 1),
    }.get(tech or "", (0.0, 0.0, 0))
    eta, sv = drifting(h, rng, nominal, loss, service_month=p.get("overhaul", 7), lapses=lapses)
    dust, _ = drifting(h, rng, p.get("dust_eta", 0.95), 0.003)
    nox = (0.85 + 0.3 * y.load) / 1.15
    shapes = {
        "so2": ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]) * penetration_ratio(eta, nominal),
        "pm": penetration_ratio(dust, p.get("dust_eta", 0.95)),
    }
    if u.attrs.get("denitrification") == "sncr":
        sncr = daily(h, rng, 0.45, 0.1)
        shapes["nox"] = nox * penetration_ratio(sncr, 0.45)
        shapes["nh3"] = np.clip(sncr / 0.45, 0.3, 2.5) ** 2
    else:
        shapes["nox"] = nox
    y.services = sv
    scaled(u, y, gangue, 1.05 * full, shapes)


def glass_furnace(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    """A glass furnace. Fired with producer gas, its SO2 is the generator coal's sulfur that the
    gas cleaning (PDS) leaves plus sulfate from the batch; fired with natural gas, only the
    batch's. The generator's coal is booked on the generator unit (`p['generator']`)."""
    p = u.p
    full = p["capacity"] / 8760.0 / 0.95  # t glass per hour
    glass = np.where(y.run, full * y.load, 0.0)
    y.activity[("product", "玻璃制品", "t")] = glass
    batch_share = 0.35
    if p.get("producer_gas"):
        _fuel_quality(h, rng, y, p)
        pds, sv = drifting(h, rng, 0.85, 0.005, service_month=p.get("overhaul", 5))
        fuel_s = ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]) * penetration_ratio(pds, 0.85)
        y.services = sv
    else:
        y.activity[("fuel", "天然气", "万立方米")] = glass * 180 / 1e4
        batch_share, fuel_s = 1.0, 0 * glass
    semi_dry, _ = drifting(h, rng, 0.6, 0.01)
    scr = daily(h, rng, 0.82, 0.04) - 0.004 * h.month  # the catalyst ages
    shapes = {
        "so2": ((1 - batch_share) * fuel_s + batch_share) * penetration_ratio(semi_dry, 0.6),
        "pm": 1 + ar1(rng, h.n, 0.99, 0.1),
        "nox": (0.8 + 0.25 * y.load) / 1.05 * penetration_ratio(scr, 0.82),
    }
    scaled(u, y, glass, full, shapes)


def no_emissions(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    """A ledger row without a stack of its own: a producer-gas generator (its coal is set by
    `simulate` from the furnace it feeds, which emits) or a dryer on a kiln's waste heat."""


def clinker_kiln(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["capacity"] / 7200.0
    heating_up = ramps(y.run, 72) > 0
    clinker = np.where(y.run & ~heating_up, full * y.load, 0.0)
    coal = np.where(y.run, 0.13 * full * np.where(heating_up, 0.5, y.load), 0.0)
    y.activity[("product", "水泥熟料", "t")] = clinker
    y.activity[("fuel", "原煤", "t")] = coal
    _fuel_quality(h, rng, y, p)
    absorbed = daily(h, rng, 0.94, 0.015)  # the raw meal takes up most of the sulfur
    sncr = daily(h, rng, 0.5, 0.07)
    dust, bags = bag_filter(h, rng, 0.99995, 0.9999)
    y.services = bags
    so2 = ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]) * penetration_ratio(absorbed, 0.94)
    nox = (0.75 + 0.3 * y.load) / 1.05 * penetration_ratio(sncr, 0.5)
    nh3 = np.clip(sncr / 0.5, 0.4, 2.0) ** 2
    scaled(u, y, coal, 0.13 * full, {"so2": so2, "nox": nox, "nh3": nh3})
    scaled(u, y, clinker, full, {"pm": penetration_ratio(dust, 0.99995)})


def cupola(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    p = u.p
    full = p["melt_t_h"]
    iron = np.where(y.run, full * y.load, 0.0)
    coke = 0.13 * iron
    y.activity[("product", "铸件", "t")] = iron * 0.92
    y.activity[("fuel", "焦炭", "t")] = coke
    _fuel_quality(h, rng, y, p)
    alkali, sv = drifting(h, rng, 0.55, 0.0, lapses=3, lapse_factor=0.3)
    dust, bags = bag_filter(h, rng, 0.998, 0.996, pre=0.8)
    y.services = sv + bags
    scaled(
        u,
        y,
        coke,
        0.13 * full,
        {
            "so2": ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0])
            * penetration_ratio(alkali, 0.55),
            "pm": penetration_ratio(dust, 1 - 0.002 * 0.8),
            "nox": 1 + 0 * coke,
        },
    )


def dryer(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    """A coal-fired hot-air dryer (fertilizer granulation, herbs): product and coal; NH3 from a
    fertilizer's product where its stack measures it."""
    p = u.p
    full = p["product_t_h"]
    product = np.where(y.run, full * y.load, 0.0)
    coal = np.where(y.run, p["coal_per_t"] * full * (0.15 + 0.85 * y.load), 0.0)
    y.activity[("product", p["product"], "t")] = product
    y.activity[("fuel", "原煤", "t")] = coal
    _fuel_quality(h, rng, y, p)
    eta_nom = p.get("desulf_eta", 0.0)
    eta, sv = drifting(h, rng, eta_nom, 0.01, lapses=2) if eta_nom else (0 * coal, [])
    dust, bags = (
        bag_filter(h, rng, 0.997, 0.994, pre=0.8) if p.get("bags") else (0 * coal + 0.8, [])
    )
    y.services = sv + bags
    dust_nom = 1 - 0.003 * 0.8 if p.get("bags") else 0.8
    urea = monthly_series(rng, 1.0, 0.2, 0.5, 1.6, 0.5)  # the month's recipe: more urea, more NH3
    so2 = ratio(per_hour(h, y.sulfur_pct), p["sulfur"][0]) * penetration_ratio(eta, eta_nom)
    scaled(u, y, coal, p["coal_per_t"] * full, {"so2": so2, "nox": 1 + 0 * coal})
    pm = penetration_ratio(dust, dust_nom)
    scaled(u, y, product, full, {"pm": pm, "nh3": per_hour(h, urea)})


def voc_process(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    """Solvent or VOC raw material used in proportion to load; a share evaporates (all of it for
    coatings and inks, `loss` for a chemical process), is captured by the hood or enclosure, and
    the treatment removes part of what is captured; the rest escapes as fugitive VOC."""
    p = u.p
    per_hour_full = p["use_t_month"] / p["full_hours_month"]
    use = np.where(y.run, per_hour_full * y.load, 0.0)
    for item, share, voc in p["materials"]:
        y.activity[item] = use * share
        y.voc_pct[item] = voc
    voc_kg = sum(use * share * voc / 100 for _, share, voc in p["materials"]) * 1000 * p["loss"]
    if p.get("breathing"):  # tank breathing follows the temperature, not any purchase
        voc_kg = np.where(y.run, p["breathing"] * (0.6 + 0.8 * (1 - coldness(h))), 0.0)
    tech = u.attrs.get("treatment_tech", "none")
    if tech == "activated_carbon":
        eta, y.services = carbon_bed(h, rng, 0.85, p.get("spent", 0.15), p["carbon_days"])
    elif tech in ("rto", "rco"):
        eta = daily(h, rng, 0.985 if tech == "rto" else 0.9, 0.01)
        if p.get("bypass_days"):
            eta = np.where(random_stops(h, rng, 1, (p["bypass_days"],) * 2), 0.0, eta)
    else:
        eta = daily(h, rng, {"water_spray": 0.1, "none": 0.0}.get(tech, 0.05), 0.02)
    capture = p["capture"]
    y.kg["voc"] = voc_kg * capture * (1 - eta)
    y.fugitive_kg = voc_kg * (1 - capture)
    y.carbon_fraction = p["carbon_fraction"]


def dust_point(u: Unit, h: Hours, rng: np.random.Generator, y: UnitYear) -> None:
    """Crushing, screening or melting dust, through a bag filter or cyclone."""
    p = u.p
    product = np.where(y.run, p["product_t_h"] * y.load, 0.0)
    if p.get("product"):
        y.activity[("product", p["product"], "t")] = product
    dust, _ = bag_filter(h, rng, 0.998, 0.996)
    scaled(u, y, product, p["product_t_h"], {"pm": penetration_ratio(dust, 0.998)})


KINDS: dict[str, Callable[[Unit, Hours, np.random.Generator, UnitYear], None]] = {
    "coal_boiler": coal_boiler,
    "gas_boiler": gas_boiler,
    "biomass_boiler": biomass_boiler,
    "brick_kiln": brick_kiln,
    "glass_furnace": glass_furnace,
    "producer_gas_generator": no_emissions,
    "ledger_only": no_emissions,
    "clinker_kiln": clinker_kiln,
    "cupola": cupola,
    "dryer": dryer,
    "voc_process": voc_process,
    "dust_point": dust_point,
}


def simulate_unit(u: Unit, h: Hours, seed: int) -> UnitYear:
    rng = np.random.default_rng([seed, zlib.crc32(f"{u.enterprise_id}/{u.unit_id}".encode())])
    run, load = operate(h, rng, u.p)
    y = UnitYear(unit=u, run=run, load=load)
    if u.stack is not None:
        y.flow, y.o2, y.temp = flue(u.stack, run, load, rng)
    KINDS[u.kind](u, h, rng, y)
    return y


def simulate(units: list[Unit], h: Hours, seed: int) -> dict[tuple[str, str], UnitYear]:
    """Every unit's year; a producer-gas generator takes its furnace's hours, and its coal."""
    years = {(u.enterprise_id, u.unit_id): simulate_unit(u, h, seed) for u in units}
    for u in units:
        if u.kind == "producer_gas_generator":
            furnace = years[(u.enterprise_id, u.p["furnace"])]
            gen = years[(u.enterprise_id, u.unit_id)]
            glass = furnace.activity[("product", "玻璃制品", "t")]
            gen.run, gen.load = furnace.run, furnace.load
            gen.activity[("fuel", "原煤", "t")] = glass * 0.28
            gen.sulfur_pct, gen.ash_pct = furnace.sulfur_pct, furnace.ash_pct
    return years
