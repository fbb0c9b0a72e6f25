"""Where the warehouse lives and the tables every ingest asset writes to.

One environment variable names the warehouse file for Dagster, dbt's profiles.yml and the CLI:
`LANTIAN_WAREHOUSE`. `lantian build` points it at a fresh temporary file for the duration of a
build and swaps that file into place only when everything succeeded.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from dagster_project import paths

WAREHOUSE_ENV = paths.WAREHOUSE_ENV
SOURCES_ENV = paths.SOURCES_ENV
EXPORTS_ENV = paths.EXPORTS_ENV
BUILD_ID_ENV = "LANTIAN_BUILD_ID"
LANDING_ENV = "LANTIAN_LANDING"
LAKE_ENV = "LANTIAN_LAKE"
CEMS_DAYS_ENV = "LANTIAN_CEMS_DAYS"
# the path dbt opens the warehouse by, when it differs from LANTIAN_WAREHOUSE (operate/publish.py)
DBT_WAREHOUSE_ENV = "LANTIAN_DBT_WAREHOUSE"


def warehouse_path() -> Path:
    return paths.warehouse_file()


def sources_path() -> Path:
    return paths.sources_dir()


def landing_path() -> Path:
    """Where `lantian receive` lands packets: inside sources/cems/, so the CEMS ingest reads it."""
    return Path(os.environ.get(LANDING_ENV, sources_path() / "cems" / "landing")).resolve()


def exports_path() -> Path:
    return paths.exports_dir()


def lake_path(database: Path | None = None) -> Path:
    """The CEMS lake folder (hj212/lake.py): $LANTIAN_LAKE, else `<warehouse stem>.lake` beside
    the warehouse file (`database`, or the warehouse)."""
    if os.environ.get(LAKE_ENV):
        return Path(os.environ[LAKE_ENV]).resolve()
    db = (database or warehouse_path()).resolve()
    return db.with_name(db.name.lstrip(".").split(".")[0] + ".lake")


def cems_days() -> list[date]:
    """Data days a build must recompute in the CEMS marts besides those its packets touch
    (a partition run or a backfill names them): $LANTIAN_CEMS_DAYS, ISO dates, comma separated."""
    text = os.environ.get(CEMS_DAYS_ENV, "")
    return [date.fromisoformat(d) for d in text.split(",") if d.strip()]


def build_id() -> str:
    return os.environ.get(BUILD_ID_ENV, "adhoc")


def settle_dbt_log() -> None:
    """Fold a write-ahead log that dbt left beside its path to the warehouse into the file, so
    the next connection by the warehouse's own path sees everything dbt wrote. (DuckDB folds it
    in when dbt closes cleanly; this covers a dbt that did not.)"""
    linked = os.environ.get(DBT_WAREHOUSE_ENV)
    if linked and Path(f"{linked}.wal").exists():
        connect(Path(linked)).close()


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; never installs extensions (no network here)."""
    config = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "true"}
    con = duckdb.connect(str(path or warehouse_path()), read_only=read_only, config=config)
    con.execute("set enable_progress_bar = false")  # the build prints its own progress lines
    return con


# Contract: ARCHITECTURE.md "Warehouse tables analysts rely on".
AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create table if not exists audit.rejected_records (
    build_id varchar, feed varchar, source_file varchar, line_no bigint,
    reason varchar, raw_text varchar
);
-- xlsx rows are located by sheet and row (line_no); older warehouses gain the column here.
alter table audit.rejected_records add column if not exists sheet varchar;
-- what exactly was wrong, where the reason alone does not say (file-level problems, bounds,
-- the other copies of a duplicate key)
alter table audit.rejected_records add column if not exists detail varchar;
create table if not exists audit.load_log (
    build_id varchar, feed varchar, source_file varchar, file_sha256 varchar,
    rows_read bigint, rows_loaded bigint, rows_rejected bigint,
    loaded_at timestamp, note varchar
);
"""

# A file that cannot be read whole is one row of audit.rejected_records with one of these
# reasons, at line 0 (the file as a whole) or the line where reading stopped; the build exits 3.
FILE_LEVEL_REASONS = ("truncated_file", "empty_file", "unreadable_file")
# Reasons that reject every record of a file or sheet one by one, or say that a file ends
# mid-record (the rest may be missing): listed with the file-level problems.
WHOLE_FILE_REASON_PREFIXES = (
    "undecodable",
    "missing_required_column",
    "no_contract_header",
    "truncated_row",
)

# Where a packet came from and what its header said: the first columns of both CEMS tables.
_CEMS_PACKET_COLUMNS: dict[str, str] = {
    "source_file": "varchar",
    "line_no": "bigint",
    "qn": "varchar",
    "st": "varchar",
    "cn": "varchar",
    "mn": "varchar",
    "protocol_version": "varchar",
    "data_time": "timestamp",
}

# raw.cems_values: the values.parquet contract of `lantian hj212 parse`, plus the file hash.
CEMS_VALUES_COLUMNS: dict[str, str] = {
    **_CEMS_PACKET_COLUMNS,
    "pollutant_code": "varchar",
    "field": "varchar",
    "value": "double",
    "flag": "varchar",
    "flag_2017": "varchar",
}

# raw.cems_device_events: replies, heartbeats, restarts, device info: recorded, not dropped.
CEMS_EVENTS_COLUMNS: dict[str, str] = {
    **_CEMS_PACKET_COLUMNS,
    "event_type": "varchar",  # heartbeat, logger_restart, device_info, reply, command, ...
    "detail": "varchar",  # the CP content, PW masked
}


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)
