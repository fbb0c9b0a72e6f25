"""`lantian hj212 parse FILE... --out DIR`: check a vendor's packet log by hand.

Writes DIR/values.parquet and DIR/rejects.parquet (ARCHITECTURE.md contract columns first; the
values file adds crc_variant, unit, code_sent, eflag, length_ok, pno, sample_time) and
DIR/events.parquet (device events), every file in line order, and returns the counts by outcome.
The access password is in none of them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dagster_project.hj212.parse import parse_files


def _plain(df: pl.DataFrame) -> pl.DataFrame:
    """Categoricals as plain strings, so any parquet reader sees varchar columns."""
    return df.with_columns(pl.col(pl.Categorical).cast(pl.String))


def run_parse_command(files: list[Path], out_dir: Path) -> dict[str, int]:
    result = parse_files(files)
    out_dir.mkdir(parents=True, exist_ok=True)
    # in file and line order for reading by hand (the parser emits fast-path packets first);
    # a stable sort keeps each packet's values in CP order
    values = result.values.sort("source_file", "line_no", maintain_order=True)
    _plain(values).write_parquet(out_dir / "values.parquet")
    _plain(result.rejects).write_parquet(out_dir / "rejects.parquet")
    _plain(result.events).write_parquet(out_dir / "events.parquet")
    return outcome_counts(result.counts)


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
