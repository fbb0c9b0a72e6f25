"""The CEMS value lake: packet-log values as Parquet files beside the warehouse.

A county-year of minute data is billions of value rows; DuckDB tables of them would not build in
minutes on two cores. So the values live in Parquet, as wide readings (tables.readings_table:
one row per pollutant code of a packet), and the warehouse holds views over them:

    <lake>/cems_readings/month=YYYY-MM/<file>-<build>-<n>.parquet
    raw.cems_readings   the readings (a view over the files listed in the manifest)
    raw.cems_values     the value rows of the ARCHITECTURE contract: readings unpivoted

* One file per source log, data month and build (the split-packet values of a log, settled
  after every piece, get a file of their own); small logs parsed together (a receiving
  station's hourly files) share one file per month and build. Files are written once and never
  changed: when a log that shares a file changes or goes, the others' rows are written to a new
  file (`forget`).
* The manifest `audit.cems_lake_files` (one row per Parquet file and source log in it: the log
  and its hash, build, month, rows, the raw.cems_values rows they make, DataTime range, MNs)
  lives in the warehouse, so it is swapped with the warehouse: a build that fails leaves the
  previous warehouse and every file it lists intact; its own new files are orphans, removed by
  the next build (`collect_garbage`).
* Month partitions (Hive-style folders), plain Parquet types and one schema: other engines
  (Spark) read the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dagster_project.hj212.manifest import MANIFEST_COLUMNS
from dagster_project.hj212.tables import (
    UNIT_GROUPS,
    WIDE_COLUMNS,
    WIDE_FIELDS,
    readings_columns,
    readings_table,
    with_constants,
)

READINGS = "cems_readings"
CONSTANTS = ("file_sha256", "build_id")


@dataclass
class LakeFile:
    source_file: str
    file_sha256: str
    build_id: str
    path: str  # relative to the lake folder
    month: str
    rows: int = 0
    value_rows: int = 0  # rows of raw.cems_values from this file
    min_data_time: datetime | None = None
    max_data_time: datetime | None = None
    mns: set[str] = field(default_factory=set)


class LakeWriter:
    """Writes one ingest run's readings: a Parquet file per (source log, month), open while the
    log streams by (`write`), closed by `finish(source_file)`, or one per month for several
    small logs whole (`write_logs`); `files` lists what was written, a row per log and file."""

    def __init__(self, lake: Path, build_id: str, hashes: dict[str, str]) -> None:
        self.lake = lake
        self.build_id = build_id
        self.hashes = hashes
        self.files: list[LakeFile] = []
        self._open: dict[tuple[str, str], tuple[pq.ParquetWriter, LakeFile]] = {}
        self._serial = 0

    def write(self, source_file: str, table: pa.Table) -> None:
        """Append readings of one source log (any months)."""
        for month, part in _by_month(table):
            writer, meta = self._writer(source_file, month, part.schema)
            for group in _by_cn(part):  # minute and hourly rows in row groups of their own
                writer.write_table(group)
            _count(meta, part)

    def write_logs(self, table: pa.Table) -> None:
        """Write the readings of several whole logs (small logs parsed together, without the
        constant columns): one shared file per month, a manifest row per log in it."""
        for month, part in _by_month(table):
            source = part.column("source_file").combine_chunks()
            if not isinstance(source, pa.DictionaryArray):
                source = source.dictionary_encode()
            names = [str(n) for n in source.dictionary.to_pylist()]
            # (a categorical's dictionary holds every string of its categories, used or not)
            shas = pa.array([self.hashes.get(n, "") for n in names], pa.large_string())
            # the constants of each log (CONSTANTS): its hash by row, the build
            part = part.append_column(
                "file_sha256", pa.DictionaryArray.from_arrays(source.indices, shas)
            )
            part = with_constants(part, {"build_id": self.build_id})
            per_log = _per_log(part, source)
            self._serial += 1
            stem = _stem(per_log[0][0])[:60]
            rel = f"{READINGS}/month={month}/{stem}-and-{len(per_log) - 1}-more-"
            rel += f"{self.build_id}-{self._serial:06d}.parquet"
            path = self.lake / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = parquet_writer(path, part.schema)
            for group in _by_cn(part):
                writer.write_table(group)
            writer.close()
            for name, rows, values, low, high, mns in per_log:
                meta = LakeFile(name, self.hashes[name], self.build_id, rel, month)
                meta.rows, meta.value_rows = rows, values
                meta.min_data_time, meta.max_data_time, meta.mns = low, high, set(mns)
                self.files.append(meta)

    def finish(self, source_file: str) -> None:
        for key in [k for k in self._open if k[0] == source_file]:
            writer, _meta = self._open.pop(key)
            writer.close()

    def close(self) -> None:
        for source_file in {k[0] for k in self._open}:
            self.finish(source_file)

    def constants(self, source_file: str) -> dict[str, str]:
        return {"file_sha256": self.hashes[source_file], "build_id": self.build_id}

    def _writer(
        self, source_file: str, month: str, schema: pa.Schema
    ) -> tuple[pq.ParquetWriter, LakeFile]:
        key = (source_file, month)
        if key not in self._open:
            self._serial += 1
            stem = _stem(source_file)[:80]
            rel = f"{READINGS}/month={month}/{stem}-{self.build_id}-{self._serial:06d}.parquet"
            path = self.lake / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            meta = LakeFile(source_file, self.hashes[source_file], self.build_id, rel, month)
            self._open[key] = (parquet_writer(path, schema), meta)
            self.files.append(meta)
        return self._open[key]


def parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        store_schema=False,
        # scans by day and kind; the few readings to merge found from statistics alone
        write_statistics=["line_no", "data_time", "cn", "needs_merge"],
    )


def _stem(source_file: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source_file).name)


def _count(meta: LakeFile, part: pa.Table) -> None:
    """Add the rows of `part` (one log's, one month's) to the manifest row `meta`."""
    meta.rows += part.num_rows
    meta.value_rows += value_rows(part)
    keys = pl.from_arrow(part.select(["mn", "data_time"]))
    assert isinstance(keys, pl.DataFrame)
    times = [t for t in (meta.min_data_time, meta.max_data_time) if t is not None]
    times += [keys.get_column("data_time").min(), keys.get_column("data_time").max()]
    meta.min_data_time, meta.max_data_time = min(times), max(times)  # type: ignore[type-var]
    meta.mns.update(keys.get_column("mn").cast(pl.String).unique().to_list())


def write_readings(
    lake: LakeWriter,
    source_file: str | None,
    items: pl.DataFrame,
    packet_cols: pl.DataFrame,
    split: bool = False,
) -> int:
    """Write a batch's value rows as readings; returns the rows written. A batch of one log
    names it (`source_file`); one of several is built as one table: small logs parsed together
    share files (`LakeWriter.write_logs`), and the closing batch of split packets (`split`)
    gives each log a file of its own."""
    if not items.height:
        return 0
    if source_file is not None:
        table = readings_table(items, packet_cols, split, lake.constants(source_file))
        lake.write(source_file, table)
        return table.num_rows
    table = readings_table(items, packet_cols, split)
    if not split:
        lake.write_logs(table)
        return table.num_rows
    for name, part in _by_source(table):
        lake.write(name, with_constants(part, lake.constants(name)))
        lake.finish(name)
    return table.num_rows


def _per_log(part: pa.Table, source: pa.DictionaryArray) -> list[tuple]:
    """Per log in `part` (by first appearance): name, rows, raw.cems_values rows, first and
    last DataTime, MNs."""
    rows = pl.DataFrame(
        {
            "log": source.indices.to_numpy(zero_copy_only=False),
            "values": values_per_row(part),
            "data_time": pl.from_arrow(part.column("data_time")),
            "mn": pl.from_arrow(part.column("mn")).cast(pl.String),
        }
    )
    logs = (
        rows.with_row_index("at")
        .group_by("log")
        .agg(
            pl.col("at").min(),
            pl.len().alias("rows"),
            pl.col("values").sum(),
            pl.col("data_time").min().alias("low"),
            pl.col("data_time").max().alias("high"),
            pl.col("mn").unique().sort(),
        )
        .sort("at")
    )
    names = source.dictionary.to_pylist()
    return [
        (str(names[r["log"]]), r["rows"], r["values"], r["low"], r["high"], r["mn"])
        for r in logs.iter_rows(named=True)
    ]


def _by_source(table: pa.Table) -> Iterable[tuple[str, pa.Table]]:
    """The rows of each source log, in order of first appearance (rows keep their order)."""
    col = table.column("source_file").combine_chunks()
    if isinstance(col, pa.DictionaryArray):
        ids, names = col.indices.to_numpy(zero_copy_only=False), col.dictionary.to_pylist()
    else:
        names, ids = np.unique(col.to_numpy(zero_copy_only=False), return_inverse=True)
        names = names.tolist()
    order = np.argsort(ids, kind="stable")
    bounds = np.flatnonzero(np.diff(ids[order])) + 1
    groups = np.split(order, bounds)
    for rows in sorted(groups, key=lambda r: int(r[0])):
        yield str(names[int(ids[rows[0]])]), table.take(pa.array(rows))


def value_rows(readings: pa.Table) -> int:
    """How many rows of raw.cems_values these readings make (`values_per_row`, summed)."""
    return int(values_per_row(readings).sum())


def values_per_row(readings: pa.Table) -> np.ndarray:
    """The rows of raw.cems_values each reading makes: a bit of `fields` per wide field sent,
    or one for an extra row (`field` set)."""
    bits = pc.fill_null(readings.column("fields"), 0).to_numpy().astype(np.uint16)
    extra = readings.column("field").is_valid().to_numpy(zero_copy_only=False)
    return np.bitwise_count(bits).astype(np.int64) + extra


def _by_month(table: pa.Table) -> Iterable[tuple[str, pa.Table]]:
    times = table.column("data_time")
    key = pc.add(pc.multiply(pc.year(times), 100), pc.month(times)).to_numpy(zero_copy_only=False)
    months = np.unique(key)
    for m in months:
        label = f"{int(m) // 100:04d}-{int(m) % 100:02d}"
        yield label, (table if len(months) == 1 else table.filter(pa.array(key == m)))


def _by_cn(table: pa.Table) -> Iterable[pa.Table]:
    """The table's rows per CN, in order within each."""
    cn = table.column("cn").combine_chunks()
    if not isinstance(cn, pa.DictionaryArray):  # a lake file read back
        cn = cn.dictionary_encode()
    codes = cn.indices.to_numpy(zero_copy_only=False)
    kinds = np.unique(codes)
    if len(kinds) <= 1:
        yield table
        return
    for k in kinds:
        yield table.filter(pa.array(codes == k))


# --- the manifest and the views --------------------------------------------------------------


def count_unrecorded_values(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Give manifest rows from before the value count their count, read once from their files
    (by `value_rows`, as the writer counts; per log where logs share a file)."""
    missing: dict[str, list[str]] = {}
    for path, name in con.execute(
        "select path, source_file from audit.cems_lake_files where value_rows is null"
    ).fetchall():
        missing.setdefault(path, []).append(name)
    counts = []
    for path, names in sorted(missing.items()):
        table = pq.ParquetFile(lake / path).read(columns=["source_file", "fields", "field"])
        logs = table.column("source_file")
        for name in names:
            counts.append((value_rows(table.filter(pc.equal(logs, name))), path, name))
    if counts:
        con.executemany(
            "update audit.cems_lake_files set value_rows = ? where path = ? and source_file = ?",
            counts,
        )


def record(con: duckdb.DuckDBPyConnection, files: list[LakeFile]) -> None:
    """Add written files to the manifest."""
    if not files:
        return
    rows = [
        (
            f.source_file,
            f.file_sha256,
            f.build_id,
            f.path,
            f.month,
            f.rows,
            f.min_data_time,
            f.max_data_time,
            sorted(f.mns),
            f.value_rows,
        )
        for f in files
        if f.rows
    ]
    if rows:
        frame = pl.DataFrame(  # noqa: F841 (read by DuckDB)
            rows,
            schema={
                "source_file": pl.String,
                "file_sha256": pl.String,
                "build_id": pl.String,
                "path": pl.String,
                "month": pl.String,
                "rows": pl.Int64,
                "min_data_time": pl.Datetime("us"),
                "max_data_time": pl.Datetime("us"),
                "mns": pl.List(pl.String),
                "value_rows": pl.Int64,
            },
            orient="row",
        )
        con.execute(
            f"insert into audit.cems_lake_files ({MANIFEST_COLUMNS}) "
            f"select {MANIFEST_COLUMNS} from frame"
        )


def forget(
    con: duckdb.DuckDBPyConnection, source_files: list[str], lake: Path, build_id: str
) -> None:
    """Drop the manifest rows of these source logs (their files become garbage). A file they
    share with logs that stay is written again without their rows (a new file of this build;
    files never change), and the logs that stay point to it."""
    if not source_files:
        return
    shared = con.execute(
        """select distinct path from audit.cems_lake_files
           where source_file not in (select unnest(?))
             and path in (select path from audit.cems_lake_files
                          where source_file in (select unnest(?)))
           order by path""",
        [source_files, source_files],
    ).fetchall()
    gone = pa.array(source_files, pa.string())
    for k, (path,) in enumerate(shared, 1):
        table = pq.read_table(lake / path)
        kept = table.filter(pc.invert(pc.is_in(table.column("source_file"), value_set=gone)))
        rel = f"{Path(path).parent.as_posix()}/kept-{build_id}-{k:06d}.parquet"
        writer = parquet_writer(lake / rel, kept.schema)
        for group in _by_cn(kept):
            writer.write_table(group)
        writer.close()
        con.execute(
            """update audit.cems_lake_files set path = ?
               where path = ? and source_file not in (select unnest(?))""",
            [rel, path, source_files],
        )
    con.execute(
        "delete from audit.cems_lake_files where source_file in (select unnest(?))",
        [source_files],
    )


def listed_paths(con: duckdb.DuckDBPyConnection, lake: Path) -> list[str]:
    rows = con.execute("select distinct path from audit.cems_lake_files order by path").fetchall()
    return [str(lake / p) for (p,) in rows]


def refresh_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """(Re)create raw.cems_readings over the manifest's files and raw.cems_values over it."""
    paths = listed_paths(con, lake)
    if paths:
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        source = f"select * from read_parquet([{files}], hive_partitioning = false)"
    else:
        source = _empty_readings_sql()
    con.execute(f"create or replace view raw.{READINGS} as {source}")
    con.execute(f"create or replace view raw.cems_values as {values_view_sql()}")


def values_view_sql() -> str:
    """The value rows (contract columns, then the ingest's extra columns) from the readings:
    each wide row unpivoted on the fields it sent, plus the extra rows."""
    pairs = ", ".join(f"({i}, '{f}')" for i, f in enumerate(WIDE_FIELDS))
    value = " ".join(f"when {i} then r.{c}" for i, c in enumerate(WIDE_COLUMNS))
    group = [
        0 if i < 4 else 1 if i < 8 else 2 if f == "Cou" else 3 for i, f in enumerate(WIDE_FIELDS)
    ]
    unit = " ".join(f"when {i} then r.{UNIT_GROUPS[g]}" for i, g in enumerate(group))
    head = "r.source_file, r.line_no, r.qn, r.st, r.cn, r.mn, r.protocol_version, r.data_time"
    tail = (
        "r.flag, r.flag_2017, r.crc_variant, {unit} as unit, r.code_sent, r.eflag, r.length_ok, "
        "r.pno, r.sample_time, r.file_sha256, r.build_id"
    )
    return f"""
        select {head}, r.pollutant_code, f.field, case f.i {value} end as value,
               {tail.format(unit=f"case f.i {unit} end")}
        from raw.{READINGS} as r
        join (values {pairs}) as f(i, field) on (r.fields >> f.i) & 1 = 1
        union all
        select {head}, r.pollutant_code, r.field, r.value, {tail.format(unit="r.unit")}
        from raw.{READINGS} as r
        where r.field is not null"""


def _empty_readings_sql() -> str:
    types = {
        "line_no": "bigint",
        "data_time": "timestamp",
        "sample_time": "timestamp",
        "length_ok": "boolean",
        "pno": "integer",
        "fields": "smallint",
        "value": "double",
        "needs_merge": "boolean",
        **dict.fromkeys(WIDE_COLUMNS, "double"),
    }
    cols = ", ".join(
        f"cast(null as {types.get(c, 'varchar')}) as {c}"
        for c in readings_columns(dict.fromkeys(CONSTANTS, ""))
    )
    return f"select {cols} where false"


# --- duplicates across builds, garbage -------------------------------------------------------


def seen_in_lake(con: duckdb.DuckDBPyConnection, lake: Path):
    """A `seen_before` for parse.ParseStream: which packet keys (mn, cn, data_time, pno) are
    in the files the manifest lists now. Reads only the files whose MNs and DataTime range
    overlap the keys, and in them only the row groups of that time range."""

    def seen(keys: pl.DataFrame) -> np.ndarray:
        if not keys.height:
            return np.zeros(0, dtype=bool)
        mns = keys.get_column("mn").cast(pl.String).unique().to_list()
        low, high = keys.get_column("data_time").min(), keys.get_column("data_time").max()
        candidates = con.execute(
            """select distinct path from audit.cems_lake_files
               where list_has_any(mns, ?) and min_data_time <= ? and max_data_time >= ?""",
            [mns, high, low],
        ).fetchall()
        if not candidates:
            return np.zeros(keys.height, dtype=bool)
        files = [str(lake / p) for (p,) in candidates]
        found = con.sql(
            """select distinct mn, cn, data_time, pno
               from read_parquet(?, hive_partitioning = false)
               where mn in (select unnest(?)) and data_time between ? and ?""",
            params=[files, mns, low, high],
        ).pl()
        probe = keys.select(
            pl.col("mn", "cn").cast(pl.String), "data_time", pl.col("pno").cast(pl.Int32)
        ).with_row_index("row")
        hit = probe.join(
            found.with_columns(pl.col("mn", "cn").cast(pl.String), pl.col("pno").cast(pl.Int32)),
            on=["mn", "cn", "data_time", "pno"],
            how="semi",
            nulls_equal=True,
        )
        mask = np.zeros(keys.height, dtype=bool)
        mask[hit.get_column("row").to_numpy()] = True
        return mask

    return seen


def collect_garbage(lake: Path, keep: Iterable[str]) -> int:
    """Delete the lake's Parquet files not in `keep` (paths relative to the lake); returns how
    many. Run under the build lock, before a build writes: files of failed builds and files the
    current warehouse no longer lists go."""
    root = lake / READINGS
    if not root.is_dir():
        return 0
    wanted = set(keep)
    removed = 0
    for path in root.rglob("*.parquet"):
        if path.relative_to(lake).as_posix() not in wanted:
            path.unlink(missing_ok=True)
            removed += 1
    for folder in sorted(root.glob("month=*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
