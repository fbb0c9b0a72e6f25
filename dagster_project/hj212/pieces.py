"""One piece of a packet log (whole lines): framed, checked and parsed into packets and the
value rows of its usable unsplit data packets, numbered from 0 (parse.py shifts the numbers).
Pieces run in a thread pool: numpy and polars release the GIL."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import polars as pl

from dagster_project.hj212 import codes, fields, framing, layout
from dagster_project.hj212.values import cp_items, packet_columns, value_rows


@dataclass
class Chunk:
    """One piece's packets and the values of its usable data packets. Only what needs every
    piece is left for the end: duplicates across pieces, and split packets (pnum > 1), whose
    Flag/EFlag and value items wait in `split_attrs` / `split_vals` for their whole set."""

    packets: pl.DataFrame  # header fields and the reason a packet is not usable, if any
    values: pl.DataFrame  # output value rows of usable unsplit data packets, with `pkt`
    split_attrs: pl.DataFrame
    split_vals: pl.DataFrame

    def shifted(self, pkt: int, rec: int, line: int) -> Chunk:
        """The chunk with its packet, record and line numbers raised by the given bases."""
        if not (pkt or rec or line):
            return self
        new_pkt = pl.col("pkt") + pkt
        return Chunk(
            self.packets.with_columns(new_pkt, pl.col("rec") + rec, pl.col("line_no") + line),
            self.values.with_columns(new_pkt, pl.col("line_no") + line),
            self.split_attrs.with_columns(new_pkt),
            self.split_vals.with_columns(new_pkt),
        )


PIECE_BYTES = 24 << 20


def split_pieces(data: bytes) -> list[tuple[int, int]]:
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
class Piece:
    """One piece's records with their check results, and its parsed chunk."""

    start: np.ndarray  # records, as file offsets
    end: np.ndarray
    line_no: np.ndarray  # 1-based within the piece
    lines: int  # newlines in the piece
    blank_lines: int  # whitespace-only lines: not records
    status: np.ndarray
    declared: np.ndarray
    length_ok: np.ndarray
    chunk: Chunk


def parse_piece(
    buf: np.ndarray,
    lo: int,
    hi: int,
    file_idx: int,
    names: list[str],
    modbus_le_allowed: list[str],
) -> Piece:
    """Frame, check and parse the records of buf[lo:hi] (`pkt`, `rec` numbered from 0)."""
    rec = framing.split_records(buf[lo:hi])
    start, end = rec.start + lo, rec.end + lo
    start, end, line_no, status, declared, length_ok = framing.merge_unchecked_splits(
        buf, start, end, rec.line_no, *framing.check_records(buf, start, end)
    )
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
    chunk = parse_chunk(segs, names, modbus_le_allowed, buf)
    return Piece(
        start, end, line_no, rec.newlines, rec.blank_lines, status, declared, length_ok, chunk
    )


def frames_of_file(buf: np.ndarray, pieces: list[Piece]) -> framing.Frames:
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


def parse_chunk(
    segs: pl.DataFrame, names: list[str], modbus_le_allowed: list[str], buf: np.ndarray
) -> Chunk:
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
    items = cp_items(
        data,
        packets.get_column("protocol_version"),
        lambda flat: layout.irregular_cps(flat, cp_offset, buf),
    )
    attrs, vals = items.attrs, items.values
    far = _by_packet(items.out_of_range, packets.height)
    reason = (
        pl.when(pl.col("reason").is_not_null())
        .then(pl.col("reason"))
        .when(pl.col("is_data") & pl.col("data_time").is_null())
        .then(pl.lit("bad_datatime"))
        .when(pl.col("pkt").is_in(items.bad_value.implode()))
        .then(pl.lit("bad_value"))
        .otherwise(far.get_column("reason"))
    )
    packets = packets.drop("cp_fast", "cp_offset").with_columns(
        reason=reason,
        detail=pl.when(reason == far.get_column("reason")).then(far.get_column("detail")),
        set_key=pl.col("pkt"),
        cp=pl.when(~pl.col("is_data")).then("cp"),  # only device events keep their CP text
    )
    split = packets.filter(pl.col("pnum") > 1).get_column("pkt")
    in_split = pl.col("pkt").is_in(split.implode())
    if len(split):
        split_attrs, split_vals = attrs.filter(in_split), vals.filter(in_split)
        attrs, vals = attrs.filter(~in_split), vals.filter(~in_split)
    else:
        split_attrs, split_vals = attrs.clear(), vals.clear()
    values = value_rows(packets, packet_columns(packets, names), attrs, vals)
    return Chunk(packets.drop("set_key"), values, split_attrs, split_vals)


def _by_packet(rows: pl.DataFrame, n: int) -> pl.DataFrame:
    """reason and detail of `rows` (pkt, reason, detail) laid out by packet number 0..n-1."""
    out = pl.DataFrame({"reason": pl.repeat(None, n, dtype=pl.String, eager=True)}).with_columns(
        detail=pl.col("reason")
    )
    if not rows.height:
        return out
    idx = rows.get_column("pkt")
    return out.with_columns(
        out.get_column(c).scatter(idx, rows.get_column(c)) for c in ("reason", "detail")
    )


def _segment_columns(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> pl.DataFrame:
    """header, cp, has_cp and cp_fast (the CP with `=;,` as `,`, null when not located) of the data
    segments buf[s:e]; see layout.py. Segments numpy could not lay out take the general path:
    their whole text (decoded leniently) is split on `CP=&&` by polars."""
    lay = layout.locate(buf, s, e)
    ok = lay.located
    he = np.where(ok, lay.header_end, s)
    cs, ce = np.where(ok, lay.cp_start, s), np.where(ok, lay.cp_end, s)
    fast = cs - lay.lo, ce - lay.lo
    cols = pl.DataFrame(
        [
            layout.text_column(buf, s, he, "header"),
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


def empty_segments() -> pl.DataFrame:
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
