"""The shrink guard: a new warehouse replaces the previous one only when nothing important shrank.

A nightly job pointed at an unmounted share, a half-delivered registry or a feed folder renamed by
mistake must not replace the county's inventory. Before the swap the new warehouse is compared
with the one it replaces, measure by measure:

  feed:<feed>          rows of the feed's raw table (every ledger feed and `cems`)
  enterprises          registered enterprises
  outlets              registered outlets
  cems_outlet_hours    distinct (MN, hour) in marts.cems_hourly
  total_t:<pollutant>  county total of marts.emissions, tonnes

A measure fails when it is empty or missing (a feed with no file in this build) while the previous
warehouse had it, or when it fell by more than `max_drop` (a share, 0.10 = 10 %). The first build
has no previous warehouse: only the required feeds must be present and non-empty. Nothing here
decides what happens next: the build refuses the swap (exit 3) unless the operator accepted the
shrink. Plain functions over DuckDB connections; no Dagster.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.feeds.contracts import LEDGER_FEEDS
from dagster_project.hj212 import manifest

DEFAULT_MAX_DROP = 0.10
GUARD_FILE_ENV = "LANTIAN_GUARD_FILE"  # the build's GuardSettings, for the checks to read
CEMS_FEED = "cems"
FEED_TABLES: dict[str, str] = {s.feed: f"raw.{s.table}" for s in LEDGER_FEEDS} | {
    CEMS_FEED: "raw.cems_values"
}
# Without the registry there is no inventory to key anything on, and CEMS is the monitoring the
# office defends its numbers with; the other ledgers may legitimately be absent in a county.
REQUIRED_FEEDS = ("registry_enterprises", "registry_outlets", "registry_outlet_limits", CEMS_FEED)

_COUNTS = {  # name -> (table, SQL)
    "enterprises": (
        "raw.registry_enterprises",
        "select count(distinct enterprise_id) from raw.registry_enterprises",
    ),
    "outlets": (
        "raw.registry_outlets",
        "select count(*) from (select distinct enterprise_id, outlet_id from raw.registry_outlets)",
    ),
    "cems_outlet_hours": (
        "marts.cems_hourly",
        "select count(*) from (select distinct mn, hour_start from marts.cems_hourly)",
    ),
}
_TOTALS_SQL = """
    select pollutant, sum(emissions_t) from marts.emissions
    where pollutant is not null group by pollutant order by pollutant"""

# Which measures each stage can judge: the feeds right after ingest (so a bad night fails before
# dbt runs), the marts once dbt has built them.
FEED_MEASURES = {f"feed:{feed}" for feed in FEED_TABLES}
REGISTRY_MEASURES = {"enterprises": "registry_enterprises", "outlets": "registry_outlets"}


@dataclass(frozen=True)
class Problem:
    measure: str
    kind: str  # missing | empty | dropped
    previous: float | None
    current: float | None

    def line(self) -> str:
        def fmt(v: float | None) -> str:
            if v is None:
                return "none"
            return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.6g}"

        name = self.measure.replace("feed:", "feed ").replace("total_t:", "county total (t) ")
        was = f" (previous warehouse: {fmt(self.previous)})" if self.previous is not None else ""
        if self.kind == "missing":
            return f"{name}: no file in this build's sources{was}"
        if self.kind == "empty":
            return f"{name}: 0 rows{was}"
        drop = 1 - (self.current or 0) / self.previous if self.previous else 0.0
        return f"{name}: {fmt(self.current)}, down {drop:.0%} from {fmt(self.previous)}"


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    schema, table = name.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    return float(row[0] or 0) if row else 0.0


def measure(con: duckdb.DuckDBPyConnection, names: set[str] | None = None) -> dict[str, float]:
    """Every measure the warehouse holds (tables it lacks are left out), or only `names`: each
    check of a build judges a few. The CEMS values are counted from the lake's manifest."""

    def wanted(name: str) -> bool:
        return names is None or name in names

    found: dict[str, float] = {}
    for feed, table in FEED_TABLES.items():
        if wanted(f"feed:{feed}") and _table_exists(con, table):
            found[f"feed:{feed}"] = (
                manifest.value_count(con)
                if feed == CEMS_FEED
                else _scalar(con, f"select count(*) from {table}")
            )
    for name, (table, sql) in _COUNTS.items():
        if wanted(name) and _table_exists(con, table):
            found[name] = _scalar(con, sql)
    totals = names is None or any(n.startswith("total_t:") for n in names)
    if totals and _table_exists(con, "marts.emissions"):
        for pollutant, tonnes in con.execute(_TOTALS_SQL).fetchall():
            if wanted(f"total_t:{pollutant}"):
                found[f"total_t:{pollutant}"] = round(float(tonnes or 0), 6)
    return found


def files_this_build(con: duckdb.DuckDBPyConnection, build_id: str) -> dict[str, int]:
    """feed -> files the build logged (an unchanged CEMS file counts: it is still delivered)."""
    if not _table_exists(con, "audit.load_log"):
        return {}
    rows = con.execute(
        "select feed, count(*) from audit.load_log where build_id = ? group by feed", [build_id]
    ).fetchall()
    return {feed: int(n) for feed, n in rows}


def judge(
    names: set[str] | list[str],
    previous: Mapping[str, float] | None,
    current: Mapping[str, float],
    files: Mapping[str, int] | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
) -> list[Problem]:
    """The problems among `names`. `previous` is None for a first build; `files` (feed -> files
    this build) tells a missing feed from an empty one."""
    problems = []
    for name in sorted(names):
        before = previous.get(name) if previous is not None else None
        now = current.get(name)
        feed = name.removeprefix("feed:") if name.startswith("feed:") else None
        required = feed in REQUIRED_FEEDS
        if previous is None and not required:
            continue
        if previous is not None and not before and not required:
            continue  # nothing to lose
        if feed is not None and files is not None and not files.get(feed):
            problems.append(Problem(name, "missing", before, now))
        elif not now:
            problems.append(Problem(name, "empty", before, now))
        elif before and now < before * (1 - max_drop) and not math.isclose(now, before):
            problems.append(Problem(name, "dropped", before, now))
    return problems


@dataclass(frozen=True)
class GuardSettings:
    """What a build's checks compare against: the previous warehouse's measures (None = first
    build), the allowed drop, and whether the operator accepted a shrink."""

    previous: dict[str, float] | None
    max_drop: float = DEFAULT_MAX_DROP
    accept_shrink: bool = False

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "previous": self.previous,
                    "max_drop": self.max_drop,
                    "accept_shrink": self.accept_shrink,
                },
                indent=2,
                sort_keys=True,
            )
        )

    @classmethod
    def read(cls, path: Path | None) -> GuardSettings:
        if path is None or not path.exists():
            return cls(previous=None)
        data = json.loads(path.read_text())
        return cls(data["previous"], float(data["max_drop"]), bool(data["accept_shrink"]))
