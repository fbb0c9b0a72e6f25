"""`lantian hj212 parse FILE... --out DIR`: check a vendor's packet log by hand.

Writes DIR/values.parquet and DIR/rejects.parquet (ARCHITECTURE.md contract columns first; the
values file adds crc_variant, unit, code_sent, eflag, length_ok, pno, sample_time) and
DIR/events.parquet (device events), and returns the counts by outcome. The access password is in
none of them.

The logs stream through piece by piece (parse.ParseStream): each piece's rows are appended as
Parquet row groups while the next pieces parse, so memory stays bounded by a few pieces whatever
the size of the logs. Rows come in file and line order; the values of split packets (rare) follow
at the end of values.parquet. Repeated strings are dictionary-encoded; readers see plain strings.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.hj212.parse import EVENT_SCHEMA, REJECT_SCHEMA, ParseStream
from dagster_project.hj212.tables import values_schema, values_table
from dagster_project.warehouse import CEMS_EVENTS_COLUMNS


def _writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    # no stored Arrow schema: readers see plain strings, not dictionaries; statistics only where
    # readers filter (they cost half the writing time on dictionary columns)
    stats = [c for c in ("line_no", "data_time") if c in schema.names]
    return pq.ParquetWriter(
        path, schema, compression="zstd", store_schema=False, write_statistics=stats
    )


def run_parse_command(files: list[Path], out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stream = ParseStream(files)
    events_schema = {c: EVENT_SCHEMA[c] for c in CEMS_EVENTS_COLUMNS}
    values = _writer(out_dir / "values.parquet", values_schema())
    rejects = _writer(out_dir / "rejects.parquet", _schema(REJECT_SCHEMA))
    events = _writer(out_dir / "events.parquet", _schema(events_schema))
    try:
        for batch in stream:
            if batch.items.height:
                values.write_table(values_table(batch.items, batch.packet_cols))
            if batch.rejects.height:
                rejects.write_table(batch.rejects.to_arrow())
            if batch.events.height:
                events.write_table(batch.events.to_arrow())
    finally:
        for writer in (values, rejects, events):
            writer.close()
    return outcome_counts(dict(stream.counts))


def _schema(schema: dict) -> pa.Schema:
    return pl.DataFrame(schema=schema).to_arrow().schema


def outcome_counts(counts: dict[str, int]) -> dict[str, int]:
    """Counts in reading order: lines (records, blank lines, files not read whole), valid
    packets, values, events, then rejects by reason."""
    head = [
        "lines_read",
        "blank_lines",
        "file_problems",
        "packets_valid",
        "values",
        "events",
        "rejected",
        "duplicates_resolved",
        "variant_classified",
        "modbus_le_accepted",
        "length_mismatch_accepted",
        "split_sets_complete",
        "split_sets_incomplete",
    ]
    ordered = {k: counts.get(k, 0) for k in head}
    ordered.update(sorted((k, v) for k, v in counts.items() if k.startswith("rejected_")))
    return ordered


def summary(counts: dict[str, int]) -> str:
    """The counts as aligned text lines, for printing."""
    return "\n".join(f"{name:<28}{n:>10}" for name, n in outcome_counts(counts).items())
