"""Load one ledger feed: sources/<folder>/** -> raw.<table>, audit.rejected_records, audit.load_log.

Every record of every file is either a row of raw.<table> or a row of audit.rejected_records,
and audit.load_log has one row per file with rows_read = rows_loaded + rows_rejected.

Duplicate keys (FeedSpec.key, e.g. two files listing the same boiler), among valid records
with equal key values (null equal to null), are never settled silently:
* copies that agree in every contract column are one record sent twice: the first by
  (source_file, sheet position, line_no) loads, each other copy is rejected as `duplicate_key`;
* copies that differ contradict each other and nothing says which is true (a later file name
  is no proof: ledgers are not dated by name): every copy is rejected as `duplicate_key`, so
  the office corrects the ledger instead of the warehouse guessing.
Either way the detail of each rejected copy names the other copies' files and lines. Records
whose key columns are all empty have no key and are never duplicates (outlets without an MN).

Values outside the contracts' plausibility bounds reject their row (`out_of_range:<column>`)
or load it with a warning in raw.<table>.warnings (plausibility.py). A file that cannot be read
whole is one rejected row with its detail (readers.py: empty_file, unreadable_file).

The raw table is replaced as a whole, and this build's audit rows of the feed are replaced with
it, in one transaction: re-running a feed within a build never duplicates audit rows.

A feed whose files are unchanged since the build that last read them (same paths, sizes,
modification times and hashes, same contract) is not read again (unchanged.py): its raw table and
rejects stay, and this build logs its files as 'unchanged, skipped'.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.feeds import unchanged
from dagster_project.feeds.contracts import RAW_LINEAGE_COLUMNS, RAW_TYPES, FeedSpec
from dagster_project.feeds.plausibility import check_bounds
from dagster_project.feeds.readers import (
    TEXT_SUFFIXES,
    XLSX_SUFFIXES,
    FeedFileError,
    file_problem,
    read_ledger_file,
)
from dagster_project.feeds.tables import RejectedRow, record_columns
from dagster_project.feeds.values import POLARS_TYPES, type_columns

LEDGER_SUFFIXES = TEXT_SUFFIXES + XLSX_SUFFIXES


@dataclass
class FileStats:
    source_file: str
    file_sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class FeedStats:
    feed: str
    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    notes: list[str] = field(default_factory=list)
    file_stats: list[FileStats] = field(default_factory=list)
    unchanged_since: str | None = None  # the build that read the files, when not read again


def raw_table_ddl(spec: FeedSpec) -> str:
    cols = [f'"{c.name}" {RAW_TYPES[c.type]}' for c in spec.columns]
    cols += [f'"{name}" {sql_type}' for name, sql_type in RAW_LINEAGE_COLUMNS.items()]
    return f"create or replace table raw.{spec.table} (\n    " + ",\n    ".join(cols) + "\n)"


def _candidate_files(sources_root: Path, spec: FeedSpec) -> list[Path]:
    """Files of the feed's folder matching its glob, README, hidden and lock files aside."""
    folder = sources_root / spec.folder
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob("*"):
        rel_parts = path.relative_to(folder).parts
        if not path.is_file() or any(p.startswith((".", "~$")) for p in rel_parts):
            continue
        if path.name.lower().startswith("readme"):
            continue
        if fnmatch.fnmatch(path.name.lower(), spec.file_glob.lower()):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(sources_root).as_posix())


def find_feed_files(sources_root: Path, spec: FeedSpec) -> list[Path]:
    """The feed's ledger files (.csv, .txt, .xlsx), sorted by path relative to sources_root."""
    return [p for p in _candidate_files(sources_root, spec) if p.suffix.lower() in LEDGER_SUFFIXES]


def ingest_feed(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    sources_root: Path,
    build_id: str,
    reuse_unchanged: bool = True,
) -> FeedStats:
    """Read the feed into raw.<table> and the audit tables, or, with `reuse_unchanged`, leave it
    as the last read left it when none of its files changed since."""
    warehouse.ensure_audit_tables(con)
    stats = FeedStats(feed=spec.feed)
    files = find_feed_files(sources_root, spec)
    if not files:
        stats.notes.append(f"no files ({spec.folder}/{spec.file_glob})")
    for other in _candidate_files(sources_root, spec):
        if other.suffix.lower() not in LEDGER_SUFFIXES:  # e.g. a legacy .xls: say so, loudly
            rel = other.relative_to(sources_root).as_posix()
            stats.notes.append(f"{rel}: not read (only .csv, .txt and .xlsx ledgers are)")
    hashes = {p: _sha256(p) for p in files}
    prints = [
        unchanged.fingerprint(p, p.relative_to(sources_root).as_posix(), hashes[p]) for p in files
    ]
    recorded = unchanged.unchanged_since(con, spec, prints) if reuse_unchanged else None
    if recorded is not None:
        _keep(con, spec, build_id, prints, recorded, stats)
        return stats

    texts: list[pl.DataFrame] = [
        pl.DataFrame(schema=record_columns(spec)).with_columns(
            pl.lit(None, pl.String).alias("source_file")
        )
    ]
    rejected: list[pl.DataFrame] = []
    for path in files:
        source_file = path.relative_to(sources_root).as_posix()
        fstats = FileStats(source_file, hashes[path])
        stats.file_stats.append(fstats)
        try:
            if not fstats.file_sha256:
                raise file_problem(source_file, "unreadable_file", "cannot read the file")
            read = read_ledger_file(path, spec, source_file)
        except FeedFileError as exc:
            fstats.notes += [*exc.notes, exc.message]
            stats.notes.append(f"{source_file}: {exc.message}")
            rejected.append(_rejects_frame(source_file, exc.rejected))
            continue
        fstats.notes += read.notes
        if read.notes:
            stats.notes.append(f"{source_file}: {'; '.join(read.notes)}")
        rejected.append(_rejects_frame(source_file, read.rejected))
        texts.append(read.records.with_columns(pl.lit(source_file).alias("source_file")))

    # One typing pass over all files of the feed: the parsers' regexes compile once.
    typed = check_bounds(type_columns(pl.concat(texts), spec.columns), spec.columns)
    rejected.append(
        typed.filter(pl.col("reject_reason").is_not_null()).select(
            "source_file",
            "line_no",
            "sheet",
            reason="reject_reason",
            raw_text="raw_text",
            detail="reject_detail",
        )
    )
    valid = typed.filter(pl.col("reject_reason").is_null())
    loaded, duplicates = _split_duplicates(valid, spec)
    rejected.append(duplicates)
    rejects = pl.concat(rejected).sort(["source_file", "sheet", "line_no"], nulls_last=True)

    _count_per_file(stats, loaded, rejects)
    _write(con, spec, build_id, loaded, rejects, stats, prints)
    return stats


def _keep(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    build_id: str,
    prints: list[unchanged.FileFingerprint],
    recorded: unchanged.Recorded,
    stats: FeedStats,
) -> None:
    """Leave the feed as `recorded.build_id` read it; log its files as unchanged in this build
    (a re-run within the build that read them leaves its real log rows alone)."""
    for f in prints:
        counts = recorded.counts[f.source_file]
        stats.file_stats.append(FileStats(f.source_file, f.file_sha256, *counts))
    stats.files = len(prints)
    stats.rows_read = sum(f.rows_read for f in stats.file_stats)
    stats.rows_loaded = sum(f.rows_loaded for f in stats.file_stats)
    stats.rows_rejected = sum(f.rows_rejected for f in stats.file_stats)
    stats.unchanged_since = recorded.build_id
    stats.notes.append(
        f"{len(prints)} files unchanged since build {recorded.build_id}: not read again "
        "(their rows, rejects and counts are that build's)"
    )
    if recorded.build_id == build_id:
        return
    con.execute("begin transaction")
    try:
        con.execute(
            "delete from audit.load_log where build_id = ? and feed = ?", [build_id, spec.feed]
        )
        if prints:  # one statement: a feed may be thousands of files (gate records by month)
            con.execute(
                """insert into audit.load_log
                   select ?, ?, unnest(?), unnest(?), 0, 0, 0, current_timestamp, ?""",
                [
                    build_id,
                    spec.feed,
                    [f.source_file for f in prints],
                    [f.file_sha256 for f in prints],
                    unchanged.UNCHANGED_NOTE,
                ],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _sha256(path: Path) -> str:
    """The file's SHA-256, or '' when it cannot be read (then it is an unreadable_file)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


_REJECT_SCHEMA = {
    "source_file": pl.String,
    "line_no": pl.Int64,
    "sheet": pl.String,
    "reason": pl.String,
    "raw_text": pl.String,
    "detail": pl.String,
}


def _rejects_frame(source_file: str, rows: list[RejectedRow]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_file": [source_file] * len(rows),
            "line_no": [r.line_no for r in rows],
            "sheet": [r.sheet for r in rows],
            "reason": [r.reason for r in rows],
            "raw_text": [r.raw_text for r in rows],
            "detail": [r.detail for r in rows],
        },
        schema=_REJECT_SCHEMA,
    )


def _split_duplicates(valid: pl.DataFrame, spec: FeedSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records to load, duplicate_key rejects): see the module docstring."""
    ordered = valid.sort(["source_file", "sheet_order", "line_no"])
    if not spec.key:
        return ordered, _rejects_frame("", [])
    key = list(spec.key)
    # A record whose key columns are all empty has no key (an outlet without an MN): keep it.
    keyless = pl.all_horizontal([pl.col(k).is_null() for k in key])
    copies = ~keyless & (pl.len().over(key) > 1)
    agree = pl.struct([c.name for c in spec.columns]).n_unique().over(key) == 1
    first = pl.int_range(pl.len()).over(key) == 0
    marked = ordered.with_columns(
        _copy=copies,
        _keep=~copies | (agree & first),
        _at=pl.concat_str(
            pl.col("source_file"),
            pl.when(pl.col("sheet").is_not_null()).then(pl.lit(" sheet ") + pl.col("sheet")),
            pl.lit(" line ") + pl.col("line_no").cast(pl.String),
            ignore_nulls=True,
        ),
    )
    dupes = marked.filter(pl.col("_copy")).with_columns(
        _all=pl.col("_at").over(key, mapping_strategy="join"),
        _any_kept=pl.col("_keep").any().over(key),
    )
    details = [
        _duplicate_detail(here, everywhere, kept)
        for here, everywhere, kept in dupes.filter(~pl.col("_keep"))
        .select("_at", "_all", "_any_kept")
        .iter_rows()
    ]
    rejects = dupes.filter(~pl.col("_keep")).select(
        "source_file",
        "line_no",
        "sheet",
        reason=pl.lit("duplicate_key"),
        raw_text="raw_text",
        detail=pl.Series(details, dtype=pl.String),
    )
    return marked.filter(pl.col("_keep")).drop("_copy", "_keep", "_at"), rejects


def _duplicate_detail(here: str, everywhere: list[str], kept: bool) -> str:
    others = ", ".join(at for at in everywhere if at != here)
    if kept:
        return f"same key and values as {others}: the first copy is loaded"
    return f"same key as {others} with different values: no copy is loaded"


def _count_per_file(stats: FeedStats, loaded: pl.DataFrame, rejects: pl.DataFrame) -> None:
    loaded_by = dict(loaded.group_by("source_file").len().iter_rows())
    rejected_by = dict(rejects.group_by("source_file").len().iter_rows())
    warned = loaded.filter(pl.col("warnings").is_not_null())
    warned_by = dict(warned.group_by("source_file").len().iter_rows())
    for f in stats.file_stats:
        f.rows_loaded = int(loaded_by.get(f.source_file, 0))
        f.rows_rejected = int(rejected_by.get(f.source_file, 0))
        f.rows_read = f.rows_loaded + f.rows_rejected
        if warned_by.get(f.source_file):
            f.notes.append(f"{warned_by[f.source_file]} rows loaded with plausibility warnings")
    stats.files = len(stats.file_stats)
    stats.rows_loaded = loaded.height
    stats.rows_rejected = rejects.height
    stats.rows_read = stats.rows_loaded + stats.rows_rejected


def _write(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    build_id: str,
    loaded: pl.DataFrame,
    rejects: pl.DataFrame,
    stats: FeedStats,
    prints: list[unchanged.FileFingerprint],
) -> None:
    columns = [c.name for c in spec.columns] + list(RAW_LINEAGE_COLUMNS)
    rows = loaded.with_columns(pl.lit(build_id).alias("build_id")).select(
        *[pl.col(c.name).cast(POLARS_TYPES[c.type]) for c in spec.columns],
        pl.col("source_file"),
        pl.col("line_no"),
        pl.col("sheet"),
        pl.col("extra_columns"),
        pl.col("build_id"),
        pl.col("warnings"),
    )
    audit = rejects.select(
        pl.lit(build_id).alias("build_id"),
        pl.lit(spec.feed).alias("feed"),
        "source_file",
        "line_no",
        "reason",
        "raw_text",
        "sheet",
        "detail",
    )
    audit_columns = "build_id, feed, source_file, line_no, reason, raw_text, sheet, detail"
    now = datetime.now()
    log = pl.DataFrame(
        {
            "build_id": [build_id] * len(stats.file_stats),
            "feed": [spec.feed] * len(stats.file_stats),
            "source_file": [f.source_file for f in stats.file_stats],
            "file_sha256": [f.file_sha256 for f in stats.file_stats],
            "rows_read": [f.rows_read for f in stats.file_stats],
            "rows_loaded": [f.rows_loaded for f in stats.file_stats],
            "rows_rejected": [f.rows_rejected for f in stats.file_stats],
            "loaded_at": [now] * len(stats.file_stats),
            "note": ["; ".join(f.notes) or None for f in stats.file_stats],
        },
        schema={
            "build_id": pl.String,
            "feed": pl.String,
            "source_file": pl.String,
            "file_sha256": pl.String,
            "rows_read": pl.Int64,
            "rows_loaded": pl.Int64,
            "rows_rejected": pl.Int64,
            "loaded_at": pl.Datetime("us"),
            "note": pl.String,
        },
    )
    quoted = ", ".join(f'"{c}"' for c in columns)
    con.execute("begin transaction")
    try:
        con.execute(raw_table_ddl(spec))
        _insert(con, f"raw.{spec.table}", quoted, rows)
        con.execute(
            "delete from audit.rejected_records where build_id = ? and feed = ?",
            [build_id, spec.feed],
        )
        _insert(
            con,
            "audit.rejected_records",
            audit_columns,
            audit,
        )
        con.execute(
            "delete from audit.load_log where build_id = ? and feed = ?", [build_id, spec.feed]
        )
        _insert(
            con,
            "audit.load_log",
            "build_id, feed, source_file, file_sha256, rows_read, rows_loaded, rows_rejected, "
            "loaded_at, note",
            log,
        )
        counts = {
            f.source_file: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in stats.file_stats
        }
        unchanged.record(con, spec, build_id, prints, counts)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    view = "_lantian_feed_rows"
    con.register(view, frame.to_arrow())
    try:
        con.execute(f"insert into {table} ({columns}) select {columns} from {view}")
    finally:
        con.unregister(view)
