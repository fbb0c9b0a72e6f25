"""The detectors' input contract: polars frames, and how they move in and out of DuckDB.

`hourly` (grain mn × pollutant × hour) is marts.cems_hourly as the detectors see it, with the
device channels (O2, flow, temperature) repeated on each pollutant row and the minute-level facts
the arithmetic checks need. In the warehouse it is the dbt model
intermediate.int_anomalies__hourly_input; the benchmark builds it straight from clean frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

HOURLY_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.String(),
    "pollutant_code": pl.String(),
    "hour_start": pl.Datetime("us"),
    "avg_measured": pl.Float64(),  # reported hourly Avg, mg/m3 (实测)
    "avg_converted": pl.Float64(),  # reported ZsAvg, mg/m3 (折算), null without reference O2
    "o2": pl.Float64(),  # %, device channel a19001
    "flow_m3_s": pl.Float64(),  # m3/s, device channel a00000
    "temp_c": pl.Float64(),  # °C, device channel a01012
    "mass_kg": pl.Float64(),  # reported Cou, kg in the hour
    "valid_minutes": pl.Int64(),
    "normal_minutes": pl.Int64(),  # minutes flagged N (null without minute data)
    "marked_minutes": pl.Int64(),  # minutes flagged C or M (calibration / maintenance)
    "minute_mean": pl.Float64(),  # mean of the valid minute values (null without minute data)
    "is_valid": pl.Boolean(),
    "flag": pl.String(),  # hourly flag, HJ 212-2017 normalised
}

OUTLET_POLLUTANT_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.String(),
    "pollutant_code": pl.String(),
    "outlet_id": pl.String(),
    "enterprise_id": pl.String(),
    "source_kind": pl.String(),
    "reference_o2": pl.Float64(),
    "limit_mg_m3": pl.Float64(),
    "analyzer_range": pl.Float64(),
    "detection_limit": pl.Float64(),
    "key_industry": pl.String(),  # the enterprise's key industry (registry), for the standard
    "fuel": pl.String(),  # the served unit's fuel (boiler/kiln ledgers), for the standard
}

STACK_TEST_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.String(),
    "pollutant_code": pl.String(),
    "start_time": pl.Datetime("us"),
    "end_time": pl.Datetime("us"),
    "reference_mg_m3": pl.Float64(),  # manual (comparison/supervisory) result, same basis as CEMS
}


HOURLY_KEYS = ("mn", "pollutant_code", "hour_start")


def _in_key_order(frame: pl.DataFrame) -> bool:
    """Whether the rows are strictly increasing in (mn, pollutant_code, hour_start), no key null
    (a comparison with a null is no increase)."""
    if frame.height < 2:
        return True
    mn, pol, hour = (pl.col(k) for k in HOURLY_KEYS)
    same_mn = mn == mn.shift(1)
    same_pair = same_mn & (pol == pol.shift(1))
    later = (
        pl.when(same_pair)
        .then(hour > hour.shift(1))
        .when(same_mn)
        .then(pol > pol.shift(1))
        .otherwise(mn > mn.shift(1))
    )
    return bool(frame.select(later.slice(1).fill_null(False).all()).item())


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select and cast to the contract; missing optional columns become nulls."""
    cols = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in schema.items()
    ]
    return frame.select(cols)


@dataclass
class DetectorInputs:
    hourly: pl.DataFrame
    outlets: pl.DataFrame
    stack_tests: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=STACK_TEST_SCHEMA)
    )

    def __post_init__(self) -> None:
        hourly = conform(self.hourly, HOURLY_SCHEMA)
        # a part of inputs already in order (a window's hours, a shard's devices) stays as it is:
        # sorting a county-year's 8-9 M rows by their text keys takes seconds
        self.hourly = hourly if _in_key_order(hourly) else hourly.sort(*HOURLY_KEYS)
        self.outlets = conform(self.outlets, OUTLET_POLLUTANT_SCHEMA)
        self.stack_tests = conform(self.stack_tests, STACK_TEST_SCHEMA)


def write_inputs(
    con: duckdb.DuckDBPyConnection, inputs: DetectorInputs, schema: str = "intermediate"
) -> None:
    """Materialise the two input relations the SQL rules read."""
    con.execute(f"create schema if not exists {schema}")
    hourly, outlets = inputs.hourly, inputs.outlets  # noqa: F841 (referenced by DuckDB)
    con.execute(
        f"create or replace table {schema}.int_anomalies__hourly_input as select * from hourly"
    )
    con.execute(
        f"create or replace table {schema}.int_anomalies__outlet_pollutants "
        "as select * from outlets"
    )
