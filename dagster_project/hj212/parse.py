"""Parse HJ 212 packet logs into values, device events and rejects (all polars DataFrames).

Every record (see framing.py) ends up in exactly one place:
  * values: a usable data packet (CN in codes.DATA_CNS), one row per CP value;
  * events: a usable packet of any other command (replies, heartbeats, restarts, device info);
  * rejects: with a named reason (framing: bad_header, truncated, bad_crc_field, crc_mismatch,
    length_mismatch, crc_modbus_le; content: unsupported_version, bad_datatime, bad_value;
    duplicate).

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
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212 import codes, fields, framing, layout

VALUE_EXTRA_COLUMNS = (
    "crc_variant",
    "unit",
    "code_sent",
    "eflag",
    "length_ok",
    "pno",
    "sample_time",
)
REJECT_COLUMNS = ("source_file", "line_no", "reason", "raw_text")
CAT = pl.Categorical


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


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _segment_columns(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> pl.DataFrame:
    """header, cp, has_cp and cp_fast (the CP with `=;,` as `,`, null when not located) of the data
    segments buf[s:e]; see layout.py. Segments numpy could not lay out take the general path:
    their whole text (decoded leniently) is split on `CP=&&` by polars."""
    lay = layout.locate(buf, s, e)
    ok = lay.located
    hs, he = np.where(ok, lay.header_start, s), np.where(ok, lay.header_end, s)
    cs, ce = np.where(ok, lay.cp_start, s), np.where(ok, lay.cp_end, s)
    fast = cs - lay.lo, ce - lay.lo
    cols = pl.DataFrame(
        [
            layout.text_column(buf, hs, he, "header"),
            layout.text_column(buf, cs, ce, "cp"),
            pl.Series("has_cp", ok),
            layout.text_column(lay.fast_bytes, fast[0], fast[1], "cp_fast"),
            pl.Series("cp_offset", cs),
        ]
    ).with_columns(cp_fast=pl.when("has_cp").then("cp_fast"))
    other = np.flatnonzero(~ok)
    if len(other):
        seg = layout.text_column(buf, s[other], e[other], "seg", lenient=True)
        cols = _patch(cols, other, fields.split_segments(seg))
    return cols


def _patch(cols: pl.DataFrame, rows: np.ndarray, part: pl.DataFrame) -> pl.DataFrame:
    """cols with the given rows replaced by part's rows (same columns)."""
    idx = pl.Series(rows)
    return cols.with_columns(
        cols.get_column(c).scatter(idx, part.get_column(c)) for c in part.columns
    )


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
    allowed = list(modbus_le_allowed)
    # Each piece of a file (whole lines, PIECE_BYTES or so) is framed, checked (CRC included,
    # numpy) and parsed (polars) in the thread pool: both release the GIL, so pieces run in
    # parallel. Pieces also keep polars frames small: its string kernels scale worse than
    # linearly on huge frames. Packet, record and line numbers are piece-local until the end.
    with ThreadPoolExecutor(WORKERS) as pool:
        files = []
        for file_idx, (name, path) in enumerate(named):
            data = framing.read_bytes(path)
            buf = np.frombuffer(data, dtype=np.uint8)
            pieces = [
                pool.submit(_parse_piece, buf, lo, hi, file_idx, names, allowed)
                for lo, hi in _pieces(data)
            ]
            files.append((name, buf, pieces))
        chunks: list[_Chunk] = []
        next_pkt = 0
        for name, buf, pieces in files:
            done = [f.result() for f in pieces]
            next_rec = next_line = 0
            for piece in done:
                chunks.append(piece.chunk.shifted(next_pkt, next_rec, next_line))
                next_pkt += piece.chunk.packets.height
                next_rec += len(piece.start)
                next_line += piece.lines
            fr = _file_frames(buf, done)
            file_frames.append(fr)
            records_per_file[name] = len(fr.start)
            counts["lines_read"] += len(fr.start)
            counts["variant_classified"] += int((fr.status == framing.MODBUS_LE).sum())
            bad = np.flatnonzero((fr.status != framing.OK) & (fr.status != framing.MODBUS_LE))
            if len(bad):
                reasons = [framing.STATUS_NAMES[int(s)] for s in fr.status[bad]]
                reject_parts.append(_rejects(name, fr, bad, reasons))
    if not chunks:
        chunks.append(_parse_chunk(_empty_segments(), names, allowed, np.zeros(0, np.uint8)))
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
    values = values.with_columns(unit=_units(values, station_units))
    events = _events(ok.filter(~pl.col("is_data")), names)

    # packet-level rejects (content, variant, duplicate)
    pkt_rejects = packets.filter(pl.col("reason").is_not_null()).select("file_idx", "rec", "reason")
    for (file_idx,), part in pkt_rejects.group_by(["file_idx"], maintain_order=True):
        fr = file_frames[int(file_idx)]
        reject_parts.append(
            _rejects(names[int(file_idx)], fr, part["rec"].to_numpy(), part["reason"].to_list())
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
    return ParseResult(values, rejects, events, dict(counts), per_file, frames)


WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class _Chunk:
    """One piece's packets and the values of its usable data packets. Only what needs every
    piece is left for the end: duplicates across pieces, and split packets (pnum > 1), whose
    Flag/EFlag and value items wait in `split_attrs` / `split_vals` for their whole set."""

    packets: pl.DataFrame  # header fields and the reason a packet is not usable, if any
    values: pl.DataFrame  # output value rows of usable unsplit data packets, with `pkt`
    split_attrs: pl.DataFrame
    split_vals: pl.DataFrame

    def shifted(self, pkt: int, rec: int, line: int) -> _Chunk:
        """The chunk with its packet, record and line numbers raised by the given bases."""
        if not (pkt or rec or line):
            return self
        new_pkt = pl.col("pkt") + pkt
        return _Chunk(
            self.packets.with_columns(new_pkt, pl.col("rec") + rec, pl.col("line_no") + line),
            self.values.with_columns(new_pkt, pl.col("line_no") + line),
            self.split_attrs.with_columns(new_pkt),
            self.split_vals.with_columns(new_pkt),
        )


PIECE_BYTES = 24 << 20


def _pieces(data: bytes) -> list[tuple[int, int]]:
    """[lo, hi) byte ranges of about PIECE_BYTES that end just after a newline (or at the end):
    no record spans two pieces, since records end at line ends."""
    cuts = [0]
    while cuts[-1] + PIECE_BYTES < len(data):
        nl = data.find(b"\n", cuts[-1] + PIECE_BYTES)
        if nl < 0:
            break
        cuts.append(nl + 1)
    if cuts[-1] < len(data) or len(cuts) == 1:
        cuts.append(len(data))
    return list(pairwise(cuts))


@dataclass
class _Piece:
    start: np.ndarray  # records, as file offsets
    end: np.ndarray
    line_no: np.ndarray  # 1-based within the piece
    lines: int  # newlines in the piece
    status: np.ndarray
    declared: np.ndarray
    length_ok: np.ndarray
    chunk: _Chunk


def _parse_piece(
    buf: np.ndarray,
    lo: int,
    hi: int,
    file_idx: int,
    names: list[str],
    modbus_le_allowed: list[str],
) -> _Piece:
    """Frame, check and parse the records of buf[lo:hi] (`pkt`, `rec` numbered from 0)."""
    view = buf[lo:hi]
    start, end, line_no = framing.split_records(view)
    start, end = start + lo, end + lo
    status, declared, length_ok = framing.check_records(buf, start, end)
    usable = np.flatnonzero((status == framing.OK) | (status == framing.MODBUS_LE))
    segs = pl.DataFrame(
        {
            "pkt": np.arange(len(usable), dtype=np.uint32),
            "file_idx": np.full(len(usable), file_idx, dtype=np.int32),
            "rec": usable.astype(np.int64),
            "line_no": line_no[usable].astype(np.int64),
            "modbus": status[usable] == framing.MODBUS_LE,
            "length_ok": length_ok[usable],
        }
    ).hstack(_segment_columns(buf, start[usable] + 6, end[usable] - 4))
    chunk = _parse_chunk(segs, names, modbus_le_allowed, buf)
    lines = int(np.count_nonzero(view == 10))
    return _Piece(start, end, line_no, lines, status, declared, length_ok, chunk)


def _file_frames(buf: np.ndarray, pieces: list[_Piece]) -> framing.Frames:
    """One file's records and check results, from its pieces in order."""
    line_base = np.cumsum([0] + [p.lines for p in pieces[:-1]])

    def joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate([*arrays, np.zeros(0, dtype)])

    return framing.Frames(
        buf,
        joined([p.start for p in pieces], np.int64),
        joined([p.end for p in pieces], np.int64),
        joined([p.line_no + base for p, base in zip(pieces, line_base, strict=True)], np.int64),
        joined([p.status for p in pieces], np.int8),
        joined([p.declared for p in pieces], np.int64),
        joined([p.length_ok for p in pieces], bool),
    )


def _parse_chunk(
    segs: pl.DataFrame, names: list[str], modbus_le_allowed: list[str], buf: np.ndarray
) -> _Chunk:
    """Headers, items and values of one piece's segments (`pkt` = row number; `cp_offset`:
    where each CP starts in `buf`)."""
    packets = fields.parse_headers(segs).with_columns(
        is_data=pl.col("cn").is_in(list(codes.DATA_CNS)),
        reason=pl.when(pl.col("modbus") & ~pl.col("mn").is_in(modbus_le_allowed).fill_null(False))
        .then(pl.lit("crc_modbus_le"))
        .otherwise(pl.col("header_error")),
    )
    data = packets.filter(pl.col("is_data") & pl.col("reason").is_null())
    cp_offset = packets.get_column("cp_offset").to_numpy()
    attrs, vals, bad_value = _items(
        data,
        packets.get_column("protocol_version"),
        lambda flat: layout.irregular_cps(flat, cp_offset, buf),
    )
    packets = packets.drop("cp_fast", "cp_offset").with_columns(
        reason=pl.when(pl.col("reason").is_not_null())
        .then(pl.col("reason"))
        .when(pl.col("is_data") & pl.col("data_time").is_null())
        .then(pl.lit("bad_datatime"))
        .when(pl.col("pkt").is_in(bad_value.implode()))
        .then(pl.lit("bad_value")),
        set_key=pl.col("pkt"),
    )
    split = packets.filter(pl.col("pnum") > 1).get_column("pkt")
    in_split = pl.col("pkt").is_in(split.implode())
    if len(split):
        split_attrs, split_vals = attrs.filter(in_split), vals.filter(in_split)
        attrs, vals = attrs.filter(~in_split), vals.filter(~in_split)
    else:
        split_attrs, split_vals = attrs.clear(), vals.clear()
    values = _values(packets, _packet_columns(packets, names), attrs, vals)
    return _Chunk(packets.drop("set_key"), values, split_attrs, split_vals)


def _with_split_sets(
    values: pl.DataFrame,
    chunks: list[_Chunk],
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
    split_values = _values(packets, _packet_columns(packets, names), attrs, vals)
    return pl.concat([values, split_values])


def _items(
    chunk: pl.DataFrame,
    protocol_version: pl.Series,
    irregular: Callable[[pl.DataFrame], pl.Series],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(Flag/EFlag items, value items with a numeric `value`, packets with a bad value).

    Value items get the `-Flag` of their code when it sits in the same run of items of that
    code in the same packet (the usual `code-Avg=..,code-Flag=N` layout), by run numbers
    instead of a join; `_values` joins the rest."""
    items = fields.explode_items(chunk.select("pkt", "cp", "cp_fast"), irregular)
    items = items.with_row_index("row")
    attrs = items.filter(pl.col("field").is_in(["Flag", "EFlag", "SampleTime"]))
    code_id = items.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
    key = (items.get_column("pkt").cast(pl.UInt64) * (1 << 32) + code_id).to_numpy()
    run = np.cumsum(np.concatenate(([True], key[1:] != key[:-1]))) - 1 if len(key) else key
    is_flag = (
        (items.get_column("field") == "Flag") & items.get_column("code").is_not_null()
    ).to_numpy()
    flag_rows = np.flatnonzero(is_flag)
    last_flag = np.full(int(run[-1]) + 1 if len(run) else 0, -1, dtype=np.int64)
    last_flag[run[flag_rows]] = np.arange(len(flag_rows))
    flags = items[flag_rows].select("pkt", "val")
    flags = flags.with_columns(
        protocol_version=protocol_version.gather(flags.get_column("pkt"))
    ).select(*_flag_columns("val"))

    value_items, bad = _numeric_values(
        items.filter(pl.col("code").is_not_null() & ~pl.col("is_attribute"))
    )
    pos = last_flag[run[value_items.get_column("row").to_numpy()]]
    pos_s = pl.Series(pos, dtype=pl.Int64)
    pos_s = pl.select(pl.when(pos_s >= 0).then(pos_s)).to_series()
    value_items = value_items.select(
        "pkt", "code", "field", "pollutant_code", "default_unit", "value"
    ).with_columns(
        flag=flags.get_column("flag").gather(pos_s),
        flag_2017=flags.get_column("flag_2017").gather(pos_s),
    )
    return attrs.drop("row"), value_items, bad


def _numeric_values(items: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Value items with `value` as a double, and the packets holding a value that is not a
    number. Empty values stay as nulls; text in an unknown vendor field is left out. The slow
    checks run only on the few items whose plain cast failed."""
    value = fields.numeric_fast(items.get_column("val"))
    null_idx = np.flatnonzero(value.is_null().to_numpy())
    keep = items.get_column("has_eq").to_numpy().copy()
    bad = pl.Series("pkt", [], dtype=items.schema["pkt"])
    if len(null_idx):
        sub = items[null_idx]
        stripped = sub.get_column("val").str.strip_chars()
        retry = fields.numeric_fast(stripped)
        text = retry.is_null() & (stripped.str.len_bytes() > 0)
        broken = text & (sub.get_column("known_field") | ~sub.get_column("has_eq"))
        bad = sub.get_column("pkt").filter(broken).unique()
        value = value.scatter(null_idx, retry)
        keep[null_idx[text.to_numpy()]] = False
    out = items.with_columns(value=value)
    return (out if keep.all() else out.filter(pl.Series(keep))), bad


_REJECT_SCHEMA = {
    "source_file": pl.String,
    "line_no": pl.Int64,
    "reason": pl.String,
    "raw_text": pl.String,
}


def _empty_segments() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "pkt": pl.UInt32,
            "file_idx": pl.Int32,
            "rec": pl.Int64,
            "line_no": pl.Int64,
            "modbus": pl.Boolean,
            "length_ok": pl.Boolean,
            "header": pl.String,
            "cp": pl.String,
            "has_cp": pl.Boolean,
            "cp_fast": pl.String,
            "cp_offset": pl.Int64,
        }
    )


def _rejects(name: str, fr: framing.Frames, idx: np.ndarray, reasons: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_file": [name] * len(idx),
            "line_no": fr.line_no[idx].astype(np.int64),
            "reason": reasons,
            "raw_text": [fields.mask_raw(fr.text(int(i))) for i in idx],
        },
        schema=_REJECT_SCHEMA,
    )


def _per_file(
    names: list[str], records: dict[str, int], ok: pl.DataFrame, rejects: pl.DataFrame
) -> dict[str, tuple[int, int, int]]:
    loaded = Counter(ok.get_column("file_idx").to_list())
    rejected = Counter(rejects.get_column("source_file").to_list())
    return {n: (records[n], loaded.get(i, 0), rejected.get(n, 0)) for i, n in enumerate(names)}


def _packet_columns(packets: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The packet-level output columns, one row per `pkt`, computed once for all value rows."""
    return packets.select(
        pl.col("file_idx")
        .replace_strict(dict(enumerate(names)), return_dtype=pl.String)
        .cast(CAT)
        .alias("source_file"),
        "line_no",
        *(pl.col(c).cast(CAT) for c in ("qn", "st", "cn", "mn", "protocol_version")),
        "data_time",
        crc_variant=pl.when(pl.col("modbus"))
        .then(pl.lit("modbus_le"))
        .otherwise(pl.lit("hj212"))
        .cast(CAT),
        length_ok="length_ok",
        pno="pno",
    )


def _values(
    packets: pl.DataFrame,
    packet_cols: pl.DataFrame,
    attrs: pl.DataFrame,
    value_items: pl.DataFrame,
) -> pl.DataFrame:
    """Long-format values of the usable data packets, with flags joined per code and set.
    `packets` and `packet_cols` are indexed by `pkt` (row number), so packet columns are
    gathered, not joined; flags join on one integer key (set, code)."""
    usable = packets.get_column("reason").is_null() & packets.get_column("is_data")
    set_key = packets.get_column("set_key").cast(pl.UInt64)

    all_usable = bool(usable.all())

    def keyed(df: pl.DataFrame) -> pl.DataFrame:
        if not all_usable:
            df = df.filter(usable.gather(df.get_column("pkt")))
        idx = df.get_column("pkt")
        code_id = df.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
        sets = set_key.gather(idx)
        return df.with_columns(set_key=sets, key=sets * (1 << 32) + code_id)

    def by_key(field: str, col: str) -> pl.DataFrame:
        """The first `code-<field>` value per (set, code) key."""
        part = attrs.filter(pl.col("code").is_not_null() & (pl.col("field") == field))
        if not part.height:
            return pl.DataFrame(schema={"key": pl.UInt64, col: pl.String, "set_key": pl.UInt64})
        return (
            keyed(part)
            .group_by("key")
            .agg(pl.col("val").first().alias(col), set_key=pl.col("set_key").first())
        )

    v = value_items
    if not all_usable:
        v = v.filter(usable.gather(v.get_column("pkt")))
    missing = v.get_column("flag").is_null()
    flag = by_key("Flag", "flag") if missing.any() else pl.DataFrame()
    eflag = by_key("EFlag", "eflag").drop("set_key")
    sample = by_key("SampleTime", "sample_time").drop("set_key")
    if flag.height or eflag.height or sample.height:  # (set, code) keys, only when needed
        v = keyed(v).drop("set_key")
    if flag.height:  # flags elsewhere in the packet or its split set
        flag = flag.with_columns(
            protocol_version=packets.get_column("protocol_version").gather(
                flag.get_column("set_key")
            )
        ).select("key", *_flag_columns("flag"))
        idx = pl.Series(np.flatnonzero(missing.to_numpy()))
        found = v[idx].select("key").join(flag, on="key", how="left", maintain_order="left")
        v = v.with_columns(
            flag=v.get_column("flag").scatter(idx, found.get_column("flag")),
            flag_2017=v.get_column("flag_2017").scatter(idx, found.get_column("flag_2017")),
        )
    # a bare `Flag=` in the CP (no pollutant prefix) applies to codes without their own flag
    bare = attrs.filter(pl.col("code").is_null() & (pl.col("field") == "Flag"))
    if not all_usable:
        bare = bare.filter(usable.gather(bare.get_column("pkt")))
    bare = (
        bare.with_columns(set_key=set_key.gather(bare.get_column("pkt")))
        .group_by("set_key")
        .agg(flag=pl.col("val").first())
    )
    bare = bare.with_columns(
        protocol_version=packets.get_column("protocol_version").gather(bare.get_column("set_key"))
    ).select("set_key", *(c.name.prefix("packet_") for c in _flag_columns("flag")))
    v = (
        v.join(eflag, on="key", how="left", maintain_order="left")
        if eflag.height
        else v.with_columns(eflag=pl.lit(None, pl.String))
    )
    v = (  # the sampling time of water pollutants (code-SampleTime), per code like EFlag
        v.join(sample, on="key", how="left", maintain_order="left")
        if sample.height
        else v.with_columns(sample_time=pl.lit(None, pl.String))
    )
    if bare.height:
        v = (
            v.with_columns(set_key=set_key.gather(v.get_column("pkt")))
            .join(bare, on="set_key", how="left", maintain_order="left")
            .with_columns(
                flag=pl.coalesce("flag", "packet_flag"),
                flag_2017=pl.coalesce("flag_2017", "packet_flag_2017"),
            )
        )
    pk = packet_cols[v.get_column("pkt")]
    v = pl.concat([v, pk], how="horizontal")
    v = v.with_columns(unit=pl.col("default_unit"))
    cols = {**warehouse.CEMS_VALUES_COLUMNS}
    out = v.select(
        *cols,
        "crc_variant",
        "unit",
        pl.col("code").alias("code_sent"),
        pl.col("eflag").cast(CAT),
        "length_ok",
        "pno",
        fields.parse_time(pl.col("sample_time")).alias("sample_time"),
        "pkt",
    )
    assert out.columns == [*cols, *VALUE_EXTRA_COLUMNS, "pkt"]
    return out


def _flag_columns(name: str) -> list[pl.Expr]:
    """The flag as sent and its HJ 212-2017 reading (2005 meanings mapped), as categoricals."""
    sent = pl.col(name)
    flag_2017 = (
        pl.when(pl.col("protocol_version") == "2005")
        .then(sent.replace_strict(codes.FLAG_2005_TO_2017, default=sent, return_dtype=pl.String))
        .otherwise(sent)
    )
    return [sent.cast(CAT).alias("flag"), flag_2017.cast(CAT).alias("flag_2017")]


def _units(v: pl.DataFrame, station_units: Mapping[str, Mapping[str, str]] | None) -> pl.Series:
    """Unit per row: a station override, else Pa where a station's pressure readings are
    Pa-sized, else the standard's default for the code (`unit` holds it on the way in)."""
    pressure = pl.col("pollutant_code").is_in(list(codes.PA_OR_KPA_CODES))
    level = (
        v.filter(pressure & pl.col("field").is_in(["Rtd", "Avg"]))
        .group_by("mn", "pollutant_code")
        .agg(level=pl.col("value").abs().median())
        .filter(pl.col("level") > codes.PA_THRESHOLD)
        .select("mn", "pollutant_code", pa=pl.lit(True))
    )
    overrides = [(mn, c, u) for mn, m in (station_units or {}).items() for c, u in m.items()]
    if not level.height and not overrides:
        return v.get_column("unit")
    keys = v.select(
        pl.col("mn").cast(pl.String),
        pl.col("pollutant_code").cast(pl.String),
        pl.col("field").cast(pl.String),
        pl.col("unit").cast(pl.String).alias("default_unit"),
    )
    level = level.with_columns(pl.col("mn", "pollutant_code").cast(pl.String))
    unit = keys.join(level, on=["mn", "pollutant_code"], how="left", maintain_order="left")
    unit = unit.with_columns(
        unit=pl.when(pl.col("pa") & pl.col("field").is_in(["Rtd", "Avg", "Min", "Max"]))
        .then(pl.lit("Pa"))
        .otherwise(pl.col("default_unit"))
    )
    if overrides:
        table = pl.DataFrame(
            overrides, schema=["mn", "pollutant_code", "unit_override"], orient="row"
        )
        unit = unit.join(table, on=["mn", "pollutant_code"], how="left", maintain_order="left")
        unit = unit.with_columns(unit=pl.coalesce("unit_override", "unit"))
    return unit.get_column("unit").cast(CAT)


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
