"""Load CEMS packet logs into the warehouse, incrementally by file content hash.

* Files: every file under `cems/` at any depth, except hidden ones and `*.part` files (still
  being written, e.g. the receiving station's open hour; its closed `.log` files are read).
* `audit.cems_ingested_files` remembers each file's SHA-256 and counts. A file whose hash is
  unchanged is skipped (one load_log row, note 'unchanged, skipped', counts 0: nothing was read
  in this build). A new or changed file is parsed; a changed file's old rows (values, events and
  its rejects) are deleted first, so re-ingesting never duplicates rows. A file that disappeared
  has its rows removed.
* Counting, per file and build: rows_read = records in the file (non-blank lines, plus any extra
  packet glued onto a line, plus one for a file-level problem: truncated_file, empty_file,
  unreadable_file), rows_loaded = usable packets (data packets and device events),
  rows_rejected = records rejected with a reason. read = loaded + rejected always: a duplicate
  packet is a reject with reason `duplicate`. The load_log note names blank lines and the
  file-level problem, if any.
* Duplicates, (MN, CN, DataTime, PNO) sent twice, keep the first received: within a batch by
  (source_file, line_no); across builds the copy already in the warehouse wins and the new one is
  rejected as `duplicate`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212.masking import mask_raw
from dagster_project.hj212.parse import ParseResult, parse_files

FEED = "cems"
# Packet-log bytes (uncompressed) parsed together: bounds memory, about 8x this at the peak
# (measured: 452 MB of hourly packets, 3-4 GB resident while parsing).
BATCH_BYTES = 512 * 1024 * 1024
VALUES_EXTRA = {
    "crc_variant": "varchar",
    "unit": "varchar",
    "code_sent": "varchar",
    "eflag": "varchar",
    "length_ok": "boolean",
    "pno": "integer",
    "sample_time": "timestamp",
    "file_sha256": "varchar",
    "build_id": "varchar",
}
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
    events_loaded: int = 0
    duplicates_resolved: int = 0
    variant_classified: int = 0
    note: str = ""


def _ddl(table: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f"{name} {typ}" for name, typ in columns.items())
    return f"create table if not exists {table} ({cols})"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    warehouse.ensure_audit_tables(con)
    for table, contract, extra in (
        ("raw.cems_values", warehouse.CEMS_VALUES_COLUMNS, VALUES_EXTRA),
        ("raw.cems_device_events", warehouse.CEMS_EVENTS_COLUMNS, EVENTS_EXTRA),
    ):
        con.execute(_ddl(table, {**contract, **extra}))
        # a warehouse carried over from an older build may lack newer extra columns
        for name, typ in extra.items():
            con.execute(f"alter table {table} add column if not exists {name} {typ}")
    con.execute(
        """create table if not exists audit.cems_ingested_files (
            source_file varchar, file_sha256 varchar, build_id varchar, ingested_at timestamp,
            rows_read bigint, rows_loaded bigint, rows_rejected bigint)"""
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


OPEN_SUFFIX = ".part"  # a file still being written (the receiving station's open hour)


def packet_files(cems_dir: Path) -> list[Path]:
    """Every regular file under cems_dir at any depth (any name), except hidden files and
    folders and files still open for writing (`*.part`)."""
    return sorted(
        p
        for p in cems_dir.rglob("*")
        if p.is_file()
        and p.suffix != OPEN_SUFFIX
        and not any(part.startswith(".") for part in p.relative_to(cems_dir).parts)
    )


def _delete_files(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    if not names:
        return
    con.execute("create or replace temp table _cems_gone (source_file varchar)")
    con.executemany("insert into _cems_gone values (?)", [(n,) for n in names])
    for table in ("raw.cems_values", "raw.cems_device_events", "audit.cems_ingested_files"):
        con.execute(
            f"delete from {table} where source_file in (select source_file from _cems_gone)"
        )
    con.execute(
        "delete from audit.rejected_records where feed = ? "
        "and source_file in (select source_file from _cems_gone)",
        [FEED],
    )


def ingest_cems(
    con: duckdb.DuckDBPyConnection,
    cems_dir: Path,
    sources_root: Path,
    build_id: str,
    modbus_le_allowed: Collection[str] = (),
) -> CemsIngestStats:
    """Ingest new and changed packet logs under `cems_dir` (see the module docstring)."""
    ensure_tables(con)
    stats = CemsIngestStats()
    if not cems_dir.is_dir():
        stats.note = f"no cems folder at {cems_dir}; empty tables created"
        return stats
    files = packet_files(cems_dir)
    stats.files_seen = len(files)
    known = dict(
        con.execute("select source_file, file_sha256 from audit.cems_ingested_files").fetchall()
    )
    current = {_rel(p, sources_root): p for p in files}
    hashes = {name: sha256_file(p) for name, p in current.items()}
    con.execute("begin transaction")
    try:
        gone = sorted(set(known) - set(current))
        _delete_files(con, gone)
        stats.files_removed = len(gone)
        todo = [n for n in sorted(current) if known.get(n) != hashes[n]]
        for name in sorted(current):
            if name not in todo:
                stats.files_skipped += 1
                _log(con, build_id, name, hashes[name], (0, 0, 0), "unchanged, skipped")
        _delete_files(con, [n for n in todo if n in known])
        for batch in _batches(todo, current):
            _load_batch(
                con, batch, current, hashes, sources_root, build_id, modbus_le_allowed, stats
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    stats.note = (
        f"{stats.files_parsed} parsed, {stats.files_skipped} unchanged, "
        f"{stats.files_removed} removed"
    )
    return stats


def log_size(path: Path) -> int:
    """Bytes the parser will see: a gzip file's uncompressed size from its trailer (ISIZE, the
    size modulo 4 GiB: never less than the compressed size is taken), else the file size."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        if fh.read(2) != b"\x1f\x8b" or size < 18:
            return size
        fh.seek(-4, 2)
        return max(size, int.from_bytes(fh.read(4), "little"))


def _batches(names: list[str], paths: dict[str, Path]) -> list[list[str]]:
    batches: list[list[str]] = []
    size = 0
    for name in names:
        n = log_size(paths[name])
        if not batches or size + n > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += n
    return batches


def _log(
    con: duckdb.DuckDBPyConnection,
    build_id: str,
    name: str,
    sha: str,
    counts: tuple[int, int, int],
    note: str,
) -> None:
    con.execute(
        "insert into audit.load_log values (?, ?, ?, ?, ?, ?, ?, current_timestamp, ?)",
        [build_id, FEED, name, sha, *counts, note],
    )


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[str],
    paths: dict[str, Path],
    hashes: dict[str, str],
    root: Path,
    build_id: str,
    modbus_le_allowed: Collection[str],
    stats: CemsIngestStats,
) -> None:
    result = parse_files([paths[n] for n in batch], root=root, modbus_le_allowed=modbus_le_allowed)
    cross = _cross_build_duplicates(con, result)
    values, events, rejects = result.values, result.events, result.rejects
    per_file = dict(result.per_file)
    if cross.height:
        gone = cross.select("source_file", "line_no")
        values = values.join(
            gone.with_columns(pl.col("source_file").cast(values.schema["source_file"])),
            on=["source_file", "line_no"],
            how="anti",
        )
        rejects = pl.concat([rejects, _duplicate_rejects(result, cross)])
        for (name,), part in cross.group_by(["source_file"]):
            read, loaded, rejected = per_file[str(name)]
            per_file[str(name)] = (read, loaded - part.height, rejected + part.height)
    sha = pl.DataFrame({"source_file": list(hashes), "file_sha256": list(hashes.values())})
    con.register("_cems_sha", sha)
    con.register("_cems_values", values)
    con.register("_cems_events", events)
    con.register("_cems_rejects", rejects)
    try:
        value_cols = [*warehouse.CEMS_VALUES_COLUMNS, *VALUES_EXTRA]
        select = ", ".join(
            f"v.{c}" if c not in ("file_sha256", "build_id") else c for c in value_cols
        )
        con.execute(
            f"""insert into raw.cems_values ({", ".join(value_cols)})
                select {select.replace("v.file_sha256", "s.file_sha256")}
                from (select *, ? as build_id from _cems_values) v
                join _cems_sha s on s.source_file = v.source_file::varchar""",
            [build_id],
        )
        event_cols = [*warehouse.CEMS_EVENTS_COLUMNS, *EVENTS_EXTRA]
        con.execute(
            f"""insert into raw.cems_device_events ({", ".join(event_cols)})
                select {", ".join("e." + c for c in warehouse.CEMS_EVENTS_COLUMNS)},
                       s.file_sha256, ?
                from _cems_events e join _cems_sha s using (source_file)""",
            [build_id],
        )
        con.execute(
            """insert into audit.rejected_records
                   (build_id, feed, source_file, line_no, reason, raw_text, detail)
               select ?, ?, source_file, line_no, reason, raw_text, detail from _cems_rejects""",
            [build_id, FEED],
        )
    finally:
        for view in ("_cems_sha", "_cems_values", "_cems_events", "_cems_rejects"):
            con.unregister(view)
    for name in batch:
        counts = per_file[name]
        _log(con, build_id, name, hashes[name], counts, "; ".join(["parsed", *result.notes[name]]))
        con.execute(
            """insert into audit.cems_ingested_files
               values (?, ?, ?, current_timestamp, ?, ?, ?)""",
            [name, hashes[name], build_id, *counts],
        )
        stats.rows_read += counts[0]
        stats.rows_loaded += counts[1]
        stats.rows_rejected += counts[2]
    stats.files_parsed += len(batch)
    stats.values_loaded += values.height
    stats.events_loaded += events.height
    stats.duplicates_resolved += result.counts.get("duplicates_resolved", 0) + cross.height
    stats.variant_classified += result.counts.get("variant_classified", 0)


def _cross_build_duplicates(con: duckdb.DuckDBPyConnection, result: ParseResult) -> pl.DataFrame:
    """Packets of this batch whose (MN, CN, DataTime, PNO) is already in raw.cems_values from
    a file loaded before: (source_file, line_no)."""
    if not result.values.height:
        return pl.DataFrame(schema={"source_file": pl.String, "line_no": pl.Int64})
    # one key per packet: a packet's value rows are consecutive, so keep the first of each run
    # (a shift comparison, far cheaper than hashing every value row)
    v = result.values
    packet_start = (pl.col("line_no") != pl.col("line_no").shift(1)) | (
        pl.col("source_file") != pl.col("source_file").shift(1)
    )
    keys = v.filter(packet_start.fill_null(True)).select(
        pl.col("source_file", "mn", "cn").cast(pl.String), "line_no", "data_time", "pno"
    )
    con.register("_cems_keys", keys)
    try:
        found = con.execute(
            """select k.source_file, k.line_no from _cems_keys k
               where exists (select 1 from raw.cems_values r
                             where r.mn = k.mn and r.cn = k.cn and r.data_time = k.data_time
                               and r.pno is not distinct from k.pno)
               order by 1, 2"""
        ).fetchall()
    finally:
        con.unregister("_cems_keys")
    return pl.DataFrame(found, schema={"source_file": pl.String, "line_no": pl.Int64}, orient="row")


def _duplicate_rejects(result: ParseResult, cross: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for name, line_no in cross.iter_rows():
        fr = result.frames[name]
        i = int(np.searchsorted(fr.line_no, line_no))
        rows.append((name, line_no, "duplicate", mask_raw(fr.text(i)), None))
    return pl.DataFrame(rows, schema=result.rejects.schema, orient="row")
