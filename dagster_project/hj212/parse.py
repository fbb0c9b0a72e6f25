"""Parse HJ 212 packet logs into values, device events and rejects (all polars DataFrames).

Every record (see framing.py) ends up in exactly one place:
  * values: a usable data packet (CN in codes.DATA_CNS), one row per CP value;
  * events: a usable packet of any other command (replies, heartbeats, restarts, device info);
  * rejects: with a named reason (framing: bad_header, truncated, bad_crc_field, crc_mismatch,
    length_mismatch, crc_modbus_le; content: unsupported_version, bad_datatime, bad_value,
    out_of_range:<code>-<field> (bounds.py); duplicate).
A file that cannot be read whole (logfile.py: truncated_file, empty_file, unreadable_file) adds
one reject row of its own, at the line where reading stopped (0: the file as a whole), with the
`detail`; it counts as one record read and rejected. Blank lines are no records: the counts
name them (`blank_lines`).

Duplicates: data packets with the same (MN, CN, DataTime, PNO) are one measurement sent twice.
The first one received wins (files in `source_file` order, then line order); each later copy is
rejected with reason `duplicate`, so read = loaded + rejected always holds.

Split packets (Flag bit D, PNUM/PNO) are reassembled as a set keyed by (MN, CN, DataTime, PNUM)
over all files parsed together (a set may straddle two hourly logs): as in the standard's
examples each part carries DataTime and whole items, so each part's values are kept with its own
line, and `-Flag` attributes are joined across the whole set. Sets missing a part are counted
(`split_sets_incomplete`) and their parts still loaded.

Speed: each file is cut into pieces of whole lines that are framed, checked and parsed in a
thread pool (numpy and polars release the GIL); see framing.py (vectorised CRC) and layout.py
(header and CP located in numpy, regular CPs split once). Only duplicates and split sets, which
need every piece, are settled at the end.

The access password (PW) is never carried into any output; raw text of rejects is masked.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212 import codes, fields, framing
from dagster_project.hj212.logfile import read_log
from dagster_project.hj212.masking import mask_raw
from dagster_project.hj212.pieces import (
    Chunk,
    empty_segments,
    frames_of_file,
    parse_chunk,
    parse_piece,
    split_pieces,
)
from dagster_project.hj212.values import packet_columns, units, value_rows

# One piece per core (measured on 2 cores: a third worker gains nothing).
WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class ParseResult:
    values: pl.DataFrame
    rejects: pl.DataFrame
    events: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    # per source_file: records read, packets loaded (values or events), records rejected
    per_file: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # per source_file: the framed buffer, to fetch a record's raw text later
    frames: dict[str, framing.Frames] = field(default_factory=dict, repr=False)
    # per source_file: what the counts do not say (blank lines, a file-level problem)
    notes: dict[str, list[str]] = field(default_factory=dict)


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def parse_files(
    paths: Sequence[Path],
    root: Path | None = None,
    modbus_le_allowed: Collection[str] = (),
    station_units: Mapping[str, Mapping[str, str]] | None = None,
) -> ParseResult:
    """Parse packet logs (plain or gzip). `source_file` is relative to `root` when given.
    MODBUS-LE CRC lines are rejected (`crc_modbus_le`) unless their MN is in `modbus_le_allowed`.
    `station_units` overrides units: {mn: {pollutant_code: unit}}."""
    named = sorted(((_rel(Path(p), root), Path(p)) for p in paths), key=lambda x: x[0])
    names = [n for n, _ in named]
    reject_parts: list[pl.DataFrame] = []
    file_frames: list[framing.Frames] = []
    counts: Counter[str] = Counter()
    records_per_file: dict[str, int] = {}
    notes: dict[str, list[str]] = {}
    allowed = list(modbus_le_allowed)
    # Each piece of a file (whole lines, PIECE_BYTES or so) is framed, checked (CRC included,
    # numpy) and parsed (polars) in the thread pool: both release the GIL, so pieces run in
    # parallel. Pieces also keep polars frames small: its string kernels scale worse than
    # linearly on huge frames. Packet, record and line numbers are piece-local until the end.
    with ThreadPoolExecutor(WORKERS) as pool:
        files = []
        for file_idx, (name, path) in enumerate(named):
            log = read_log(path)
            data = log.data
            if log.problem is not None:
                p = log.problem
                reject_parts.append(
                    pl.DataFrame(
                        [(name, p.line_no, p.reason, mask_raw(p.raw_text), p.detail)],
                        schema=_REJECT_SCHEMA,
                        orient="row",
                    )
                )
                counts["file_problems"] += 1
            buf = np.frombuffer(data, dtype=np.uint8)
            pieces = [
                pool.submit(parse_piece, buf, lo, hi, file_idx, names, allowed)
                for lo, hi in split_pieces(data)
            ]
            files.append((name, log, buf, pieces))
        chunks: list[Chunk] = []
        next_pkt = 0
        for name, log, buf, pieces in files:
            done = [f.result() for f in pieces]
            next_rec = next_line = 0
            for piece in done:
                chunks.append(piece.chunk.shifted(next_pkt, next_rec, next_line))
                next_pkt += piece.chunk.packets.height
                next_rec += len(piece.start)
                next_line += piece.lines
            fr = frames_of_file(buf, done)
            file_frames.append(fr)
            records_per_file[name] = len(fr.start) + (log.problem is not None)
            counts["lines_read"] += len(fr.start)
            blank = sum(p.blank_lines for p in done)
            counts["blank_lines"] += blank
            notes[name] = [f"{blank} blank lines"] if blank else []
            if log.problem is not None:
                where = f" at line {log.problem.line_no}" if log.problem.line_no else ""
                notes[name].append(f"{log.problem.reason}{where}: {log.problem.detail}")
            counts["variant_classified"] += int((fr.status == framing.MODBUS_LE).sum())
            bad = np.flatnonzero((fr.status != framing.OK) & (fr.status != framing.MODBUS_LE))
            if len(bad):
                reasons = [framing.STATUS_NAMES[int(s)] for s in fr.status[bad]]
                reject_parts.append(_rejects(name, fr, bad, reasons))
    if not chunks:
        chunks.append(parse_chunk(empty_segments(), names, allowed, np.zeros(0, np.uint8)))
    packets = pl.concat([c.packets for c in chunks])
    # duplicates among the surviving data packets: first received wins
    key = ["mn", "cn", "data_time", "pno"]
    packets = packets.with_columns(
        reason=pl.when(
            pl.col("reason").is_null()
            & pl.col("is_data")
            & ~pl.struct(key)
            .is_first_distinct()
            .over(pl.col("reason").is_null() & pl.col("is_data"))
        )
        .then(pl.lit("duplicate"))
        .otherwise(pl.col("reason"))
    )
    counts["duplicates_resolved"] = int((packets.get_column("reason") == "duplicate").sum())

    # split sets: key and completeness
    packets = packets.with_columns(
        set_key=pl.when(pl.col("pnum") > 1)
        .then(pl.col("pkt").min().over("mn", "cn", "data_time", "pnum"))
        .otherwise(pl.col("pkt"))
    )
    ok = packets.filter(pl.col("reason").is_null())
    split = (
        ok.filter(pl.col("pnum") > 1)
        .group_by("set_key")
        .agg(pl.col("pnum").first(), pl.col("pno").n_unique().alias("parts"))
    )
    counts["split_sets_complete"] = int((split["parts"] >= split["pnum"]).sum())
    counts["split_sets_incomplete"] = int((split["parts"] < split["pnum"]).sum())

    values = pl.concat([c.values for c in chunks])
    duplicate = packets.filter(pl.col("reason") == "duplicate").get_column("pkt")
    if len(duplicate):
        values = values.filter(~pl.col("pkt").is_in(duplicate.implode()))
    values = _with_split_sets(values, chunks, packets, ok, names).drop("pkt")
    values = values.with_columns(unit=units(values, station_units))
    events = _events(ok.filter(~pl.col("is_data")), names)

    # packet-level rejects (content, variant, duplicate)
    pkt_rejects = packets.filter(pl.col("reason").is_not_null()).select(
        "file_idx", "rec", "reason", "detail"
    )
    for (file_idx,), part in pkt_rejects.group_by(["file_idx"], maintain_order=True):
        fr = file_frames[int(file_idx)]
        reject_parts.append(
            _rejects(
                names[int(file_idx)],
                fr,
                part["rec"].to_numpy(),
                part["reason"].to_list(),
                part["detail"].to_list(),
            )
        )
    rejects = (
        pl.concat(reject_parts).sort("source_file", "line_no")
        if reject_parts
        else pl.DataFrame(schema=_REJECT_SCHEMA)
    )
    counts["packets_valid"] = ok.height
    counts["values"] = values.height
    counts["events"] = events.height
    counts["modbus_le_accepted"] = int(ok.get_column("modbus").sum())
    counts["length_mismatch_accepted"] = int((~ok.get_column("length_ok")).sum())
    for reason, n in Counter(rejects.get_column("reason").to_list()).items():
        counts[f"rejected_{reason}"] = n
    counts["rejected"] = rejects.height
    per_file = _per_file(names, records_per_file, ok, rejects)
    frames = dict(zip(names, file_frames, strict=True))
    return ParseResult(values, rejects, events, dict(counts), per_file, frames, notes)


def _with_split_sets(
    values: pl.DataFrame,
    chunks: list[Chunk],
    packets: pl.DataFrame,
    ok: pl.DataFrame,
    names: list[str],
) -> pl.DataFrame:
    """`values` plus the values of usable split packets, each part's items with the Flag and
    EFlag attributes joined across its whole set (`set_key`)."""
    if not ok.filter(pl.col("pnum") > 1).height:
        return values
    attrs = pl.concat([c.split_attrs for c in chunks])
    vals = pl.concat([c.split_vals for c in chunks])
    split_values = value_rows(packets, packet_columns(packets, names), attrs, vals)
    return pl.concat([values, split_values])


_REJECT_SCHEMA = {
    "source_file": pl.String,
    "line_no": pl.Int64,
    "reason": pl.String,
    "raw_text": pl.String,
    "detail": pl.String,
}


def _rejects(
    name: str,
    fr: framing.Frames,
    idx: np.ndarray,
    reasons: list[str],
    details: list[str | None] | None = None,
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_file": [name] * len(idx),
            "line_no": fr.line_no[idx].astype(np.int64),
            "reason": reasons,
            "raw_text": [mask_raw(fr.text(int(i))) for i in idx],
            "detail": details or [None] * len(idx),
        },
        schema=_REJECT_SCHEMA,
    )


def _per_file(
    names: list[str], records: dict[str, int], ok: pl.DataFrame, rejects: pl.DataFrame
) -> dict[str, tuple[int, int, int]]:
    loaded = Counter(ok.get_column("file_idx").to_list())
    rejected = Counter(rejects.get_column("source_file").to_list())
    return {n: (records[n], loaded.get(i, 0), rejected.get(n, 0)) for i, n in enumerate(names)}


def _events(pkts: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    out = pkts.select(
        source_file=pl.col("file_idx").replace_strict(
            dict(enumerate(names)), return_dtype=pl.String
        ),
        line_no="line_no",
        qn="qn",
        st="st",
        cn="cn",
        mn="mn",
        protocol_version="protocol_version",
        data_time=pl.coalesce("data_time", fields.parse_time(pl.col("qn"))),
        event_type=pl.col("cn").replace_strict(
            codes.EVENT_TYPES, default=codes.DEFAULT_EVENT_TYPE, return_dtype=pl.String
        ),
        detail=fields.mask_cp(pl.col("cp")),
    )
    assert list(out.columns) == list(warehouse.CEMS_EVENTS_COLUMNS)
    return out.sort("source_file", "line_no")
