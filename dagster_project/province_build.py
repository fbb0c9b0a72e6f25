"""`lantian province build`: every county of the province registry into one Parquet lake, the dbt
project on Spark over all of them, and the provincial export with a county column.

Each county is ingested on its own (the same assets, rejects and audit as a county build) and
written as its `county=<code>` partition of the lake; a county the registry no longer lists is
removed from the lake, so the province marts hold exactly the registry's counties. dbt then seeds
and runs every model once on Spark over the whole lake. The export reads Spark's mart files and
the lake's enterprise registry (which county each enterprise reports from).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project import paths
from dagster_project.build import BuildFailed
from dagster_project.lake import spark
from dagster_project.lake.parquet import LAKE_SCHEMAS, LakeTable
from dagster_project.lake.province import County, read_registry
from dagster_project.reports.sheet_types import Kind, OutputColumn, Sheet
from dagster_project.reports.writers import write_csv, write_parquet, write_xlsx
from dagster_project.spark_build import build_on_spark, ingest_to_lake, mart_rows

PROVINCE_HOME_ENV = "LANTIAN_PROVINCE_HOME"
UNDATED = datetime(1980, 1, 1)  # fixed workbook date: the same data gives the same bytes

_COUNTY = (
    OutputColumn("county_code", "县级行政区划代码", Kind.TEXT),
    OutputColumn("county_name", "县（市、区）", Kind.TEXT),
)
COUNTY_TOTALS = Sheet(
    key="county_totals",
    title="分县排放总量",
    sources=("marts.emissions",),
    query="",
    columns=(
        *_COUNTY,
        OutputColumn("year", "年份", Kind.INT),
        OutputColumn("pollutant", "污染物", Kind.TEXT),
        OutputColumn("pollutant_zh", "污染物名称", Kind.TEXT),
        OutputColumn("enterprises", "企业数", Kind.INT),
        OutputColumn("emissions_t", "排放量(吨)", Kind.FLOAT),
        OutputColumn("emissions_low_t", "排放量下限(吨)", Kind.FLOAT),
        OutputColumn("emissions_high_t", "排放量上限(吨)", Kind.FLOAT),
    ),
    order_by=("county_code", "year", "pollutant"),
    year_scope="every year the inventory holds",
)
ENTERPRISE_EMISSIONS = Sheet(
    key="enterprise_emissions",
    title="分县企业排放量",
    sources=("marts.emissions",),
    query="",
    columns=(
        *_COUNTY,
        OutputColumn("enterprise_id", "统一社会信用代码", Kind.TEXT),
        OutputColumn("year", "年份", Kind.INT),
        OutputColumn("pollutant", "污染物", Kind.TEXT),
        OutputColumn("emissions_t", "排放量(吨)", Kind.FLOAT),
    ),
    order_by=("county_code", "enterprise_id", "year", "pollutant"),
    year_scope="every year the inventory holds",
)


@dataclass
class ProvinceBuildSummary:
    counties: list[County]
    lake: Path
    seconds: float
    lake_tables: dict[str, list[LakeTable]] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    exports: list[Path] = field(default_factory=list)

    def exit_code(self) -> int:
        return 0

    def render(self) -> str:
        lines = [
            f"Built {len(self.counties)} counties on Spark in {self.seconds:.1f} s "
            f"(lake {self.lake})",
            "",
        ]
        for c in self.counties:
            cems = next(
                (t.rows for t in self.lake_tables.get(c.code, []) if t.table == "cems_values"), 0
            )
            lines.append(f"  {c.code} {c.name:<12} cems_values rows {cems:>10}  ({c.sources})")
        lines += ["", "exports:"] + [f"  {p}" for p in self.exports]
        return "\n".join(lines)


def province_home() -> Path:
    """LANTIAN_PROVINCE_HOME, else `province/` in the state folder (own lake and Spark state)."""
    return Path(os.environ.get(PROVINCE_HOME_ENV) or paths.state_dir() / "province").resolve()


def ingest_county(county: County, lake: Path, home: Path) -> list[LakeTable]:
    """One county's feeds into its lake partition (replaced as a whole)."""
    if not county.sources.is_dir():
        raise BuildFailed(f"county {county.code}: sources folder not found: {county.sources}")
    scratch = home / "ingest" / f"{uuid.uuid4().hex}.duckdb"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        _, tables = ingest_to_lake(county.sources, lake, scratch, county.code)
    finally:
        scratch.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            Path(f"{scratch}.wal").unlink()
    return tables


def drop_other_counties(lake: Path, keep: set[str]) -> list[str]:
    """Remove lake partitions of counties not in `keep`; the codes removed."""
    removed: set[str] = set()
    for schema in LAKE_SCHEMAS:
        for table in (lake / schema).glob("*"):
            for part in table.glob("county=*"):
                code = part.name.removeprefix("county=")
                if code not in keep:
                    shutil.rmtree(part)
                    removed.add(code)
    return sorted(removed)


# The keys the province's marts are keyed by instead of the county: (lake table, key column).
PROVINCE_KEYS: tuple[tuple[str, str], ...] = (
    ("registry_enterprises", "enterprise_id"),  # 统一社会信用代码
    ("registry_outlets", "mn"),  # CEMS device MN
    ("ambient_stations", "station_code"),  # 站点编码
    ("dustfall", "point_code"),  # 降尘点位编码
    ("road_dust", "road_code"),  # 重点道路编码
    # township marts (dust-fall, road dust, air and emissions) are keyed by the township's name
    ("registry_enterprises", "township"),
    ("ambient_stations", "township"),
    ("dustfall", "township"),
    ("road_dust", "township"),
)


def keys_shared_between_counties(lake: Path) -> list[str]:
    """Keys of PROVINCE_KEYS that more than one county's registries use.

    The province's marts are keyed by enterprise, device, ambient station, dust-fall point, key
    road and township, not by county, and the export finds each enterprise's county in the
    registry; a key two counties share would merge their rows (and a station code shared by
    every county makes the hotspot self-join grow with the square of the counties).
    """
    found: list[str] = []
    con = duckdb.connect()
    try:
        for table, key in PROVINCE_KEYS:
            folder = lake / "raw" / table
            if not any(folder.glob("county=*/**/*.parquet")):
                continue
            files = f"""read_parquet('{folder}/county=*/**/*.parquet', hive_partitioning = true,
                                    hive_types = {{'county': varchar}}, union_by_name = true)"""
            columns = {r[0] for r in con.execute(f"describe select * from {files}").fetchall()}
            if key not in columns:
                continue
            rows = con.execute(
                f"""select {key}, string_agg(distinct county, ', ' order by county)
                from {files}
                where {key} is not null
                group by {key} having count(distinct county) > 1 order by {key}"""
            ).fetchall()
            found += [f"{key} {value} (counties {counties})" for value, counties in rows]
    finally:
        con.close()
    return found


def _county_query(marts: Path, lake: Path, counties: list[County]) -> tuple[str, list[str]]:
    """SQL of the emissions rows with their county (from the lake's enterprise registry)."""
    names = " union all ".join("select ?, ?" for _ in counties)
    params = [v for c in counties for v in (c.code, c.name)]
    sql = f"""
        with names(county_code, county_name) as ({names}),
        registry as (
            select distinct enterprise_id, county as county_code
            from read_parquet('{lake / "raw" / "registry_enterprises"}/*/*.parquet',
                              hive_partitioning = true, hive_types = {{'county': varchar}})
        )
        select r.county_code, n.county_name, e.*
        from read_parquet('{marts / "emissions"}/*.parquet') as e
        left join registry as r using (enterprise_id)
        left join names as n using (county_code)"""
    return sql, params


def export_province(
    marts: Path, lake: Path, counties: list[County], out: Path
) -> tuple[list[Path], dict[str, pa.Table]]:
    """The provincial workbook (Chinese headers), one CSV and one Parquet file per sheet."""
    rows, params = _county_query(marts, lake, counties)
    queries = {
        COUNTY_TOTALS.key: f"""
            select county_code, county_name, year::bigint as year, pollutant,
                   any_value(pollutant_zh) as pollutant_zh,
                   count(distinct enterprise_id)::bigint as enterprises,
                   sum(emissions_t)::double as emissions_t,
                   sum(emissions_low_t)::double as emissions_low_t,
                   sum(emissions_high_t)::double as emissions_high_t
            from ({rows}) group by all order by county_code, year, pollutant""",
        ENTERPRISE_EMISSIONS.key: f"""
            select county_code, county_name, enterprise_id, year::bigint as year, pollutant,
                   sum(emissions_t)::double as emissions_t
            from ({rows}) group by all
            order by county_code, enterprise_id, year, pollutant""",
    }
    con = duckdb.connect()
    try:
        tables = {key: con.sql(sql, params=params).to_arrow_table() for key, sql in queries.items()}
    finally:
        con.close()
    out.mkdir(parents=True, exist_ok=True)
    sheets = [(COUNTY_TOTALS, tables[COUNTY_TOTALS.key])]
    sheets.append((ENTERPRISE_EMISSIONS, tables[ENTERPRISE_EMISSIONS.key]))
    years = tables[COUNTY_TOTALS.key].column("year").to_pylist()
    written = [out / "lantian_province.xlsx"]
    write_xlsx(written[0], sheets, UNDATED, "lantian 分县排放清单")
    for sheet, table in sheets:
        for suffix, write in (("csv", write_csv), ("parquet", None)):
            path = out / f"lantian_province_{sheet.key}.{suffix}"
            if write is None:
                write_parquet(path, sheet, table, max(years, default=0))
            else:
                write(path, sheet, table)
            written.append(path)
    return written, tables


def build_province_marts(
    counties: list[County], home: Path, out: Path
) -> tuple[list[str], list[Path], dict[str, pa.Table]]:
    """dbt on Spark over the lake's counties (those no longer listed removed first), then the
    provincial export; the codes removed, the files written and the exported tables."""
    lake = home / "lake"
    removed = drop_other_counties(lake, {c.code for c in counties})
    shared = keys_shared_between_counties(lake)
    if shared:
        raise BuildFailed(
            f"{len(shared)} key(s) registered by more than one county; fix the county registries "
            "before the province build: " + "; ".join(shared[:20])
        )
    build_on_spark(lake, home)
    files, tables = export_province(home / "spark-warehouse" / "marts.db", lake, counties, out)
    return removed, files, tables


def run_province_build(
    registry: Path, out: Path | None = None, *, home: Path | None = None
) -> ProvinceBuildSummary:
    reason = spark.missing_requirements()
    if reason:
        raise BuildFailed(f"cannot run on Spark: {reason}")
    counties = read_registry(registry)
    started = time.monotonic()
    home = (home or province_home()).resolve()
    lake = home / "lake"
    tables = {c.code: ingest_county(c, lake, home) for c in counties}
    _, exports, _ = build_province_marts(counties, home, out or home / "exports")
    return ProvinceBuildSummary(
        counties, lake, time.monotonic() - started, tables, mart_rows(home), exports
    )
