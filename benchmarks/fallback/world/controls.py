"""How well the second world's controls work, hour by hour: desulfurizers that wear between
overhauls (or lapse when nobody doses the reagent), bag filters that age (a cyclone in front of
bags adds little), SCR that loses its temperature window at low load, SNCR wandering day to day,
activated carbon saturating between irregular replacements."""

from __future__ import annotations

import numpy as np
from fallback.world.calendar import Hours, ar1, random_stops


def drifting(
    h: Hours,
    rng: np.random.Generator,
    nominal: float,
    loss_per_month: float,
    service_month: int | None = None,
    lapses: int = 0,
    lapse_factor: float = 0.45,
) -> tuple[np.ndarray, list[int]]:
    """Efficiency that wears by `loss_per_month` from the last service (yearly overhaul in
    `service_month`, else from 1 January), with daily wander and, where nobody doses the reagent,
    `lapses` weeks at a fraction of it. Returns (efficiency, service hours)."""
    i = np.arange(h.n)
    months = i / 730.0 + 4.0  # without an overhaul: worn since before the year began
    services: list[int] = []
    if service_month is not None:
        s = h.index_of_month(service_month) + 24 * int(rng.integers(3, 20))
        services.append(s)
        months = np.where(i >= s, (i - s) / 730.0, (i - s) / 730.0 + 12.0)
    eta = nominal - loss_per_month * months + ar1(rng, h.n, 0.995, 0.01)
    if lapses:
        lapse = random_stops(h, rng, lapses, (4, 9))
        eta = np.where(lapse, eta * lapse_factor, eta)
    return np.clip(eta, 0.0, 0.9995), services


def bag_filter(
    h: Hours, rng: np.random.Generator, fresh: float, worn: float, pre: float = 0.0
) -> tuple[np.ndarray, list[int]]:
    """A bag filter ageing from `fresh` to `worn` penetration-wise over about a year of bags,
    replaced once at a random date; `pre` is a cyclone in front of it (devices in series do not
    multiply: the cyclone takes the coarse dust, the bags see the fine part, so the pair is only
    a little better than the bags alone)."""
    change = int(rng.integers(60, 300)) * 24
    age = np.where(np.arange(h.n) >= change, np.arange(h.n) - change, np.arange(h.n) + 4000)
    wear = np.clip(age / 8760.0, 0.0, 1.0)
    penetration = (1 - fresh) + ((1 - worn) - (1 - fresh)) * wear
    if pre:
        penetration = penetration * (1 - 0.25 * pre)  # the fine fraction passes the cyclone
    return 1 - penetration, [change]


def scr_window(load: np.ndarray, nominal: float, min_load: float = 0.5) -> np.ndarray:
    """SCR efficiency, lost as the flue gas cools below the catalyst window at low load."""
    return nominal * np.clip(load / min_load, 0.0, 1.0) ** 2


def daily(h: Hours, rng: np.random.Generator, mean: float, sd: float) -> np.ndarray:
    return np.clip(np.repeat(rng.normal(mean, sd, h.n // 24 + 1), 24)[: h.n], 0.0, 0.98)


def carbon_bed(
    h: Hours, rng: np.random.Generator, fresh: float, spent: float, interval: tuple[int, int]
) -> tuple[np.ndarray, list[int]]:
    """Activated carbon: `fresh` removal after each replacement, falling to `spent` as it
    saturates; replaced at irregular intervals (days)."""
    services, t = [], -int(rng.integers(0, interval[1])) * 24
    while t < h.n:
        if t >= 0:
            services.append(t)
        t += int(rng.integers(*interval)) * 24
    last = np.full(h.n, -(10**6))
    prev = [s for s in services if s <= 0] or [-int(rng.integers(20, interval[1])) * 24]
    last[:] = prev[-1]
    for s in services:
        last[s:] = s
    life = float(np.mean(interval)) * 24
    sat = np.clip((np.arange(h.n) - last) / life, 0.0, 1.0)
    return spent + (fresh - spent) * (1 - sat**1.5), services
