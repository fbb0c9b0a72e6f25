"""Physical bounds of CEMS readings: a packet holding a reading outside them is rejected.

Only the impossible is rejected here: a value no flue-gas instrument can report, so the packet
is corrupt however good its CRC (the CRC protects the transmission, not what the logger put in).
Its reason names the item: `out_of_range:<code as sent>-<field>`. What is possible but
suspicious is loaded, because the office decides about it and the detectors need it: negative
concentrations (zero drift; detector `negative_value`), O2 above 21 %, values above the
analyser's range (flag T; detector `over_range` and the `cems_hourly_ranges` suite, which
compare with `registry/outlet_limits.csv` `analyzer_range`).

Bounds apply to readings (Rtd, Avg, Min, Max and their Zs forms) of the HJ 212-2017 code the
item maps to (2005 codes mapped), in the standard's default units (HJ 212-2017 Table B.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.hj212.codes import UNITS_2017

READING_FIELDS = ("Rtd", "Avg", "Min", "Max", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax")


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    unit: str
    basis: str


_FRACTION = "beyond -100 % or 100 % a volume fraction is no reading at all"
_CONCENTRATION = Bound(
    -3e6,
    3e6,
    "mg/m3",
    "3 kg/m3 is denser than any pure pollutant gas at standard conditions (SO2 about "
    "2.9 kg/m3), let alone one part of a flue gas",
)

BOUNDS: dict[str, Bound] = {
    "a19001": Bound(-100, 100, "%", f"O2: {_FRACTION}"),
    "a01014": Bound(-100, 100, "%", f"humidity: {_FRACTION}"),
    "a01012": Bound(
        -273.15,
        2500,
        "degC",
        "flue-gas temperature: not below absolute zero, and not above the adiabatic flame "
        "temperature of fuels burnt in air (about 2,000-2,200 degC)",
    ),
    "a00000": Bound(
        -1e4,
        1e4,
        "m3/s",
        "flue-gas flow: over ten times the flue gas of a 1,000 MW coal-fired unit (about "
        "3 million m3/h, 850 m3/s)",
    ),
    "a01011": Bound(-340, 340, "m/s", "flue-gas velocity: faster than sound in air"),
} | {
    code: _CONCENTRATION
    for code, (unit, _) in UNITS_2017.items()
    if unit == "mg/m3" and code.startswith("a")
}

# Bound ids per (code, reading field): 0 = none; LOW/HIGH are indexed by id.
_ORDER = sorted(BOUNDS)
LOW = np.array([-np.inf] + [BOUNDS[c].low for c in _ORDER])
HIGH = np.array([np.inf] + [BOUNDS[c].high for c in _ORDER])


def bound_id(pollutant_code: pl.Expr, field: pl.Expr) -> pl.Expr:
    """The bound id of each (HJ 212-2017 code, field) name, as UInt8 (0: unbounded)."""
    ids = {code: i + 1 for i, code in enumerate(_ORDER)}
    by_code = pollutant_code.replace_strict(ids, default=0, return_dtype=pl.UInt8)
    return pl.when(field.is_in(list(READING_FIELDS))).then(by_code).otherwise(pl.lit(0, pl.UInt8))


def outside(value: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions of the values outside their bound (NaN, i.e. empty, is never outside)."""
    return np.flatnonzero((value < LOW[ids]) | (value > HIGH[ids]))


def describe(pollutant_code: str, value: float) -> str:
    """Why a value is outside: the value, the bound and its basis."""
    b = BOUNDS[pollutant_code]
    side = f"below {b.low:g}" if value < b.low else f"above {b.high:g}"
    return f"{value:g} {b.unit} is {side} {b.unit}: {b.basis}"
