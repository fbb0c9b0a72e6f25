"""Which ledger feeds a build may leave as they are: their files unchanged since the last read.

`audit.ledger_ingested_files` records, for every file of a feed as it was last read, its size,
modification time (ns) and SHA-256, the contract the feed was read under (a hash of its FeedSpec
and of the reading code), and the counts that read gave. A feed whose files are exactly the
recorded ones (same paths, none added or removed, each with the same size, mtime and hash) under
the same contract is not read again: raw.<table> and the feed's rejects stay as the build that
read it wrote them, and this build logs each file in audit.load_log as 'unchanged, skipped' with
zero counts (as an unchanged CEMS log is): its counts stay with the build that read it, where
the reports look them up. Any difference (a new, removed, edited or merely touched file) reads
the whole feed again, since duplicate keys are settled across all files of a feed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from dagster_project.feeds.contracts import FeedSpec

STATE_TABLE = "audit.ledger_ingested_files"
# per feed: the build that last read it and the contract it was read under
READS_TABLE = "audit.ledger_feed_reads"
STATE_DDL = f"""
create table if not exists {STATE_TABLE} (
    feed varchar, source_file varchar, size_bytes bigint, mtime_ns bigint, file_sha256 varchar,
    contract varchar, build_id varchar, rows_read bigint, rows_loaded bigint,
    rows_rejected bigint
);
create table if not exists {READS_TABLE} (feed varchar, build_id varchar, contract varchar);
"""
UNCHANGED_NOTE = "unchanged, skipped"


@dataclass(frozen=True)
class FileFingerprint:
    source_file: str  # relative to the sources folder
    size_bytes: int
    mtime_ns: int
    file_sha256: str  # '' when the file cannot be read


@dataclass(frozen=True)
class Recorded:
    """The feed as last read: its build and counts (read, loaded, rejected) per file."""

    build_id: str
    counts: dict[str, tuple[int, int, int]]


def fingerprint(path: Path, source_file: str, sha256: str) -> FileFingerprint:
    stat = path.stat()
    return FileFingerprint(source_file, stat.st_size, stat.st_mtime_ns, sha256)


@cache
def _code_hash() -> str:
    """The reading code's source: a change to how ledgers are read reads every feed again."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


def contract(spec: FeedSpec) -> str:
    return hashlib.sha256(f"{spec!r}\0{_code_hash()}".encode()).hexdigest()


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def unchanged_since(
    con: duckdb.DuckDBPyConnection, spec: FeedSpec, files: list[FileFingerprint]
) -> Recorded | None:
    """The recorded read when the feed's files and contract are exactly as recorded (and its raw
    table is there); None when the feed must be read. A feed without files is unchanged while
    it stays without files."""
    con.execute(STATE_DDL)
    read = con.execute(
        f"select build_id, contract from {READS_TABLE} where feed = ?", [spec.feed]
    ).fetchone()
    if read is None or read[1] != contract(spec) or not _has_table(con, "raw", spec.table):
        return None
    rows = con.execute(
        f"""select source_file, size_bytes, mtime_ns, file_sha256,
                   rows_read, rows_loaded, rows_rejected
            from {STATE_TABLE} where feed = ?""",
        [spec.feed],
    ).fetchall()
    recorded = {FileFingerprint(*r[:4]) for r in rows}
    if recorded != set(files) or any(not f.file_sha256 for f in files):
        return None
    return Recorded(str(read[0]), {r[0]: (r[4], r[5], r[6]) for r in rows})


def reads(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """feed -> the build that last read it (feeds never read are absent)."""
    con.execute(STATE_DDL)
    return dict(con.execute(f"select feed, build_id from {READS_TABLE}").fetchall())


def record(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    build_id: str,
    files: list[FileFingerprint],
    counts: dict[str, tuple[int, int, int]],
) -> None:
    """Replace the feed's recorded files with this read (inside the caller's transaction)."""
    con.execute(STATE_DDL)
    con.execute(f"delete from {STATE_TABLE} where feed = ?", [spec.feed])
    con.execute(f"delete from {READS_TABLE} where feed = ?", [spec.feed])
    signed = contract(spec)
    con.execute(f"insert into {READS_TABLE} values (?, ?, ?)", [spec.feed, build_id, signed])
    if not files:
        return
    zero = (0, 0, 0)
    con.execute(  # one statement: a feed may be thousands of files (gate records by month)
        f"""insert into {STATE_TABLE}
            select ?, unnest(?), unnest(?), unnest(?), unnest(?), ?, ?,
                   unnest(?), unnest(?), unnest(?)""",
        [
            spec.feed,
            [f.source_file for f in files],
            [f.size_bytes for f in files],
            [f.mtime_ns for f in files],
            [f.file_sha256 for f in files],
            signed,
            build_id,
            *([counts.get(f.source_file, zero)[k] for f in files] for k in range(3)),
        ],
    )
