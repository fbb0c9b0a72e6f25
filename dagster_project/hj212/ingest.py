"""Load CEMS packet logs into the warehouse, incrementally by file content hash.

* Files: every file under `cems/` at any depth, except hidden ones and `*.part` files (still
  being written, e.g. the receiving station's open hour; its closed `.log` files are read),
  named and stat'ed in one walk of the folder (landed.py).
* Values go to the CEMS lake (lake.py: Parquet readings beside the warehouse, listed in
  `audit.cems_lake_files`, seen as the views raw.cems_readings and raw.cems_values); device
  events to raw.cems_device_events; rejects to audit.rejected_records. The logs stream through
  piece by piece (parse.ParseStream), so memory stays bounded whatever the delivery.
* `audit.cems_ingested_files` remembers each file's SHA-256 and counts, and its size and
  modification time (ns) when its content was last confirmed. A file whose size and mtime are
  still those keeps its recorded hash without being read again (as make and rsync judge files: a
  county-year's logs are 4-13 GB to hash every night); any other file is hashed. A file whose hash
  is unchanged is skipped (one load_log row, note 'unchanged, skipped', counts 0: nothing was read
  in this build). A new or changed file is parsed; a changed file's old rows (lake files, events
  and its rejects) are dropped first, so re-ingesting never duplicates rows. A file that
  disappeared has its rows removed.
* Counting, per file and build: rows_read = records in the file (non-blank lines, plus any extra
  packet glued onto a line, plus one for a file-level problem: truncated_file, empty_file,
  unreadable_file), rows_loaded = usable packets (data packets and device events),
  rows_rejected = records rejected with a reason. read = loaded + rejected always: a duplicate
  packet is a reject with reason `duplicate`. The load_log note names blank lines and the
  file-level problem, if any.
* Duplicates, (MN, CN, DataTime, PNO) sent twice, keep the first received: within a run by
  (source_file, line_no); across builds the copy already in the lake wins and the new one is
  rejected as `duplicate`.
* `changed_days` lists the data days (DataTime dates) the new, changed and removed files touch:
  what incremental models downstream must recompute (audit.cems_rebuild_days, see
  dbt/macros/cems_incremental.sql).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212 import lake, landed, manifest
from dagster_project.hj212.parse import ParseStream

FEED = "cems"
EVENTS_EXTRA = {"file_sha256": "varchar", "build_id": "varchar"}


@dataclass
class CemsIngestStats:
    files_seen: int = 0
    files_parsed: int = 0
    files_skipped: int = 0
    files_removed: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    values_loaded: int = 0
    readings_written: int = 0
    events_loaded: int = 0
    duplicates_resolved: int = 0
    variant_classified: int = 0
    note: str = ""
    changed_days: list[date] = field(default_factory=list)


def _ddl(table: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f"{name} {typ}" for name, typ in columns.items())
    return f"create table if not exists {table} ({cols})"


def ensure_tables(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
    warehouse.ensure_audit_tables(con)
    manifest.ensure_manifest(con)
    lake.count_unrecorded_values(con, lake_dir)
    con.execute(
        """create table if not exists audit.cems_ingested_files (
            source_file varchar, file_sha256 varchar, build_id varchar, ingested_at timestamp,
            rows_read bigint, rows_loaded bigint, rows_rejected bigint)"""
    )
    for stamp in STAMP_COLUMNS:  # (a warehouse from before they were recorded)
        con.execute(
            f"alter table audit.cems_ingested_files add column if not exists {stamp} bigint"
        )
    con.execute(
        """create table if not exists audit.cems_changed_days (build_id varchar, day date)"""
    )
    con.execute("create table if not exists audit.cems_rebuild_days (day date)")
    table = "raw.cems_device_events"
    con.execute(_ddl(table, {**warehouse.CEMS_EVENTS_COLUMNS, **EVENTS_EXTRA}))
    for name, typ in EVENTS_EXTRA.items():
        con.execute(f"alter table {table} add column if not exists {name} {typ}")
    kind = con.execute(
        """select table_type from information_schema.tables
           where table_schema = 'raw' and table_name = 'cems_values'"""
    ).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        # a warehouse from before the lake: every log is read again, into the lake, once. What
        # the earlier reading left (its values, events, rejects and file records) goes first, or
        # the new reading would add each event and reject a second time.
        con.execute("drop table raw.cems_values")
        _forget_logs(con)
    if not con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'cems_readings'"
    ).fetchone()[0]:
        lake.refresh_views(con, lake_dir)


# what a file's record says of it besides its hash: size and modification time (ns)
STAMP_COLUMNS = ("size_bytes", "mtime_ns")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recorded_files(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int | None, int | None]]:
    """Each ingested log's recorded SHA-256, size and mtime (ns; None before stamps were kept)."""
    rows = con.execute(
        "select source_file, file_sha256, size_bytes, mtime_ns from audit.cems_ingested_files"
    ).fetchall()
    return {name: (sha, size, mtime) for name, sha, size, mtime in rows}


def file_hashes(
    recorded: dict[str, tuple[str, int | None, int | None]], current: dict[str, landed.Log]
) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """Each log's SHA-256, and the size and mtime of each log hashed here, as stat'ed when it
    was found (before it was read). A log whose size and mtime are those recorded with its hash
    keeps that hash unread; any other log is hashed (new, changed, touched, or recorded before
    stamps were kept)."""
    hashes: dict[str, str] = {}
    stamps: dict[str, tuple[int, int]] = {}
    for name, log in current.items():
        sha, size, mtime = recorded.get(name, (None, None, None))
        if sha is not None and (size, mtime) == (log.size, log.mtime_ns):
            hashes[name] = sha
        else:
            hashes[name] = sha256_file(Path(log.path))
            stamps[name] = (log.size, log.mtime_ns)
    return hashes, stamps


def _stamp(
    con: duckdb.DuckDBPyConnection, hashes: dict[str, str], stamps: dict[str, tuple[int, int]]
) -> None:
    """Record size and mtime with each file record whose content they were taken with."""
    if not stamps:
        return
    names = list(stamps)
    con.execute(
        """update audit.cems_ingested_files f
           set size_bytes = s.size_bytes, mtime_ns = s.mtime_ns
           from (select unnest(?) as source_file, unnest(?) as file_sha256,
                        unnest(?) as size_bytes, unnest(?) as mtime_ns) s
           where f.source_file = s.source_file and f.file_sha256 = s.file_sha256""",
        [
            names,
            [hashes[n] for n in names],
            [stamps[n][0] for n in names],
            [stamps[n][1] for n in names],
        ],
    )


def record_days(con: duckdb.DuckDBPyConnection, build_id: str, days: list[date]) -> None:
    """The data days this build must recompute downstream: audit.cems_rebuild_days holds this
    build's (replaced each build), audit.cems_changed_days every build's."""
    con.execute("delete from audit.cems_rebuild_days")
    if days:
        con.execute("insert into audit.cems_rebuild_days select distinct unnest(?)", [days])
        con.execute(
            "insert into audit.cems_changed_days select ?, unnest(?)", [build_id, sorted(days)]
        )


def _missing_from_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> set[str]:
    """Logs whose lake files are gone: they are read again. Each file is looked for once,
    however many logs share it."""
    rows = con.execute("select source_file, path from audit.cems_lake_files").fetchall()
    gone = {path for path in {p for _, p in rows} if not (lake_dir / path).is_file()}
    return {name for name, path in rows if path in gone}


def _days_of(con: duckdb.DuckDBPyConnection, names: list[str]) -> set[date]:
    """The data days of these logs' lake files (from the manifest's DataTime ranges)."""
    if not names:
        return set()
    rows = con.execute(
        """select distinct unnest(generate_series(cast(min_data_time as date),
                                                  cast(max_data_time as date), interval 1 day))
           from audit.cems_lake_files where source_file in (select unnest(?))""",
        [names],
    ).fetchall()
    return {r[0].date() if hasattr(r[0], "date") else r[0] for r in rows}


def _delete_files(
    con: duckdb.DuckDBPyConnection, names: list[str], lake_dir: Path, build_id: str
) -> None:
    if not names:
        return
    lake.forget(con, names, lake_dir, build_id)
    _forget_logs(con, names)


def _forget_logs(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> None:
    """Drop the events, file records and rejects of these logs (of every log: None)."""
    where = "source_file in (select unnest(?))" if names is not None else "true"
    params = [names] if names is not None else []
    for table in ("raw.cems_device_events", "audit.cems_ingested_files"):
        con.execute(f"delete from {table} where {where}", params)
    con.execute(f"delete from audit.rejected_records where feed = ? and {where}", [FEED, *params])


def ingest_cems(
    con: duckdb.DuckDBPyConnection,
    cems_dir: Path,
    sources_root: Path,
    build_id: str,
    modbus_le_allowed: Collection[str] = (),
    lake_dir: Path | None = None,
    extra_days: Collection[date] = (),
) -> CemsIngestStats:
    """Ingest new and changed packet logs under `cems_dir` (see the module docstring). The lake
    folder defaults to the one of the warehouse `con` has open. `extra_days` are recomputed
    downstream as well (a partition run, a backfill)."""
    lake_dir = lake_dir or warehouse.lake_path(_database_file(con))
    ensure_tables(con, lake_dir)
    stats = CemsIngestStats()
    if not cems_dir.is_dir():
        stats.note = f"no cems folder at {cems_dir}; empty tables created"
        stats.changed_days = sorted(set(extra_days))
        record_days(con, build_id, stats.changed_days)
        return stats
    current = landed.landed_logs(cems_dir, sources_root)
    stats.files_seen = len(current)
    recorded = recorded_files(con)
    known = {name: sha for name, (sha, _size, _mtime) in recorded.items()}
    stale = _missing_from_lake(con, lake_dir)  # e.g. a warehouse moved without its lake
    hashes, stamps = file_hashes(recorded, current)
    con.execute("begin transaction")
    try:
        gone = sorted(set(known) - set(current))
        todo = [n for n in current if known.get(n) != hashes[n] or n in stale]
        changed = gone + [n for n in todo if n in known]
        days = _days_of(con, changed)
        _delete_files(con, changed, lake_dir, build_id)
        stats.files_removed = len(gone)
        parsed = set(todo)
        skipped = [n for n in current if n not in parsed]
        stats.files_skipped = len(skipped)
        _log_unchanged(con, build_id, skipped, hashes)
        written = _load(
            con, todo, current, hashes, sources_root, build_id, modbus_le_allowed, lake_dir, stats
        )
        _stamp(con, hashes, stamps)
        days |= _days_of(con, [f.source_file for f in written])
        stats.changed_days = sorted(days | set(extra_days))
        record_days(con, build_id, stats.changed_days)
        lake.refresh_views(con, lake_dir)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    stats.note = (
        f"{stats.files_parsed} parsed, {stats.files_skipped} unchanged, "
        f"{stats.files_removed} removed, {len(stats.changed_days)} data days changed"
    )
    return stats


def _load(
    con: duckdb.DuckDBPyConnection,
    todo: list[str],
    logs: dict[str, landed.Log],
    hashes: dict[str, str],
    root: Path,
    build_id: str,
    modbus_le_allowed: Collection[str],
    lake_dir: Path,
    stats: CemsIngestStats,
) -> list[lake.LakeFile]:
    """Parse the logs, streaming: readings into the lake, events and rejects into DuckDB."""
    if not todo:
        return []
    stream = ParseStream(
        [Path(logs[n].path) for n in todo],
        root=root,
        names=todo,
        modbus_le_allowed=modbus_le_allowed,
        seen_before=lake.seen_in_lake(con, lake_dir),
    )
    writer = lake.LakeWriter(lake_dir, build_id, hashes)
    try:
        for batch in stream:
            stats.readings_written += lake.write_readings(
                writer, batch.source_file, batch.items, batch.packet_cols, batch.split
            )
            if batch.events.height:
                events = batch.events.with_columns(  # noqa: F841 (read by DuckDB)
                    file_sha256=pl.col("source_file").replace_strict(
                        hashes, return_dtype=pl.String
                    ),
                    build_id=pl.lit(build_id),
                )
                con.execute("insert into raw.cems_device_events by name select * from events")
            if batch.rejects.height:
                rejects = batch.rejects  # noqa: F841 (read by DuckDB)
                con.execute(
                    """insert into audit.rejected_records
                           (build_id, feed, source_file, line_no, reason, raw_text, detail)
                       select ?, ?, source_file, line_no, reason, raw_text, detail
                       from rejects""",
                    [build_id, FEED],
                )
            if batch.finished is not None:
                writer.finish(batch.finished)
    finally:
        writer.close()
    lake.record(con, writer.files)
    _log_parsed(con, build_id, todo, hashes, stream)
    for name in todo:
        counts = stream.per_file[name]
        stats.rows_read += counts[0]
        stats.rows_loaded += counts[1]
        stats.rows_rejected += counts[2]
    stats.files_parsed += len(todo)
    stats.values_loaded += stream.counts["values"]
    stats.events_loaded += stream.counts["events"]
    stats.duplicates_resolved += stream.counts["duplicates_resolved"]
    stats.variant_classified += stream.counts["variant_classified"]
    return writer.files


def _database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    rows = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def _log_unchanged(
    con: duckdb.DuckDBPyConnection, build_id: str, names: list[str], hashes: dict[str, str]
) -> None:
    """One load_log row per unchanged file (counts 0: nothing was read), in one statement."""
    if names:
        con.execute(
            """insert into audit.load_log
               select ?, ?, unnest(?), unnest(?), 0, 0, 0, current_timestamp, ?""",
            [build_id, FEED, names, [hashes[n] for n in names], "unchanged, skipped"],
        )


def _log_parsed(
    con: duckdb.DuckDBPyConnection,
    build_id: str,
    names: list[str],
    hashes: dict[str, str],
    stream: ParseStream,
) -> None:
    """One load_log row and one file record per parsed log (its counts and notes), in one
    statement each: a receiving station's day is thousands of hourly logs."""
    logs = pl.DataFrame(  # noqa: F841 (read by DuckDB)
        {
            "source_file": names,
            "file_sha256": [hashes[n] for n in names],
            "rows_read": [stream.per_file[n][0] for n in names],
            "rows_loaded": [stream.per_file[n][1] for n in names],
            "rows_rejected": [stream.per_file[n][2] for n in names],
            "note": ["; ".join(["parsed", *stream.notes[n]]) for n in names],
        },
        schema_overrides={c: pl.Int64 for c in ("rows_read", "rows_loaded", "rows_rejected")},
    )
    con.execute(
        """insert into audit.load_log
           select ?, ?, source_file, file_sha256, rows_read, rows_loaded, rows_rejected,
                  current_timestamp, note
           from logs order by source_file""",
        [build_id, FEED],
    )
    con.execute(
        """insert into audit.cems_ingested_files (source_file, file_sha256, build_id,
               ingested_at, rows_read, rows_loaded, rows_rejected)
           select source_file, file_sha256, ?, current_timestamp, rows_read, rows_loaded,
                  rows_rejected
           from logs order by source_file""",
        [build_id],
    )
