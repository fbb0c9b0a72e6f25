"""The county code a warehouse's data belongs to (the lake's `county=` partition)."""

from __future__ import annotations

import duckdb

# 县级行政区划代码: the first six digits of an HJ 212 MN (and of an ambient station code) name
# the county (GB/T 2260), e.g. 410883 孟州市.
COUNTY_CODE_LENGTH = 6


def registry_county(con: duckdb.DuckDBPyConnection) -> str:
    """The county of most registered outlets (from their MN); ValueError when none has an MN."""
    row = con.execute(
        f"""select left(trim(mn), {COUNTY_CODE_LENGTH}) as county, count(*) as outlets
            from raw.registry_outlets
            where regexp_full_match(left(trim(mn), {COUNTY_CODE_LENGTH}), '[0-9]{{6}}')
            group by 1 order by outlets desc, county limit 1"""
    ).fetchone()
    if row is None:
        raise ValueError("no registered outlet has an MN: give the county code explicitly")
    return str(row[0])
