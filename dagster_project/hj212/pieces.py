"""One piece of a packet log (whole lines): read from the file, framed, checked and parsed into
packets and the value rows of its usable unsplit data packets, numbered from 0 within the piece
(parse.py numbers lines per file). Pieces run in a thread pool: numpy and polars release the GIL.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from dagster_project.hj212 import codes, fields, framing, layout
from dagster_project.hj212.values import cp_items, packet_columns, value_rows


@dataclass
class Chunk:
    """One piece's packets and the values of its usable data packets. Only what needs other
    pieces is left for later: duplicates across pieces, and split packets (pnum > 1), whose
    Flag/EFlag and value items wait in `split_attrs` / `split_vals` for their whole set."""

    packets: pl.DataFrame  # header fields and the reason a packet is not usable, if any
    items: pl.DataFrame  # value rows of usable unsplit data packets (`pkt`, ITEM_COLUMNS)
    packet_cols: pl.DataFrame  # the value rows' packet columns, one row per `pkt`
    split_attrs: pl.DataFrame
    split_vals: pl.DataFrame


PIECE_BYTES = 24 << 20
READ_BYTES = 1 << 20


def read_pieces(path: Path) -> Iterator[bytes]:
    """The file's bytes in pieces of whole lines, about PIECE_BYTES each (the last one may end
    without a newline), gunzipped on the way when the file is gzip (by magic number, whatever
    its name; members one after another). A damaged or cut gzip file is read up to the damage;
    its last line then fails its checks. Memory: about one piece, not the file."""
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        blocks = _gunzipped(fh) if gz else iter(lambda: fh.read(READ_BYTES), b"")
        parts: list[bytes] = []
        size = 0
        for block in blocks:
            parts.append(block)
            size += len(block)
            if size < PIECE_BYTES:
                continue
            data = b"".join(parts)
            cut = data.rfind(b"\n") + 1
            if not cut:  # no line end yet: the piece grows until one comes
                parts = [data]
                continue
            yield data[:cut]
            rest = data[cut:]
            parts, size = ([rest] if rest else []), len(rest)
        if parts:
            yield b"".join(parts)


def _gunzipped(fh: BinaryIO) -> Iterator[bytes]:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = fh.read(READ_BYTES)
    while data:
        try:
            out = inflate.decompress(data)
        except zlib.error:  # damaged: what came before stays
            return
        if out:
            yield out
        if inflate.eof:  # a member ended: another may follow
            data = inflate.unused_data or fh.read(READ_BYTES)
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            data = fh.read(READ_BYTES)
    try:
        tail = inflate.flush()
    except zlib.error:
        return
    if tail:
        yield tail


@dataclass
class Piece:
    """One piece's records with their check results, and its parsed chunk."""

    buf: np.ndarray  # the piece's bytes
    start: np.ndarray  # records, as offsets into buf
    end: np.ndarray
    line_no: np.ndarray  # 1-based line in the file
    status: np.ndarray
    chunk: Chunk

    def text(self, i: int) -> str:
        """Record i as text (for rejects; bytes that are not UTF-8 replaced)."""
        return bytes(self.buf[self.start[i] : self.end[i]]).decode("utf-8", "replace")


def parse_piece(
    data: bytes, file_idx: int, line_base: int, names: list[str], modbus_le_allowed: list[str]
) -> Piece:
    """Frame, check and parse the records of one piece (`pkt`, `rec` numbered from 0; lines
    after the `line_base` lines of the file's earlier pieces)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    start, end, line_no, _lines = framing.split_records(buf)
    line_no = line_no + line_base
    status, _declared, length_ok = framing.check_records(buf, start, end)
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
    return Piece(buf, start, end, line_no, status, chunk)


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
    attrs, vals, bad_value = cp_items(
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
        cp=pl.when(~pl.col("is_data")).then("cp"),  # only device events keep their CP text
    )
    split = packets.filter(pl.col("pnum") > 1).get_column("pkt")
    in_split = pl.col("pkt").is_in(split.implode())
    if len(split):
        split_attrs, split_vals = attrs.filter(in_split), vals.filter(in_split)
        attrs, vals = attrs.filter(~in_split), vals.filter(~in_split)
    else:
        split_attrs, split_vals = attrs.clear(), vals.clear()
    items = value_rows(packets, attrs, vals)
    return Chunk(
        packets.drop("set_key"), items, packet_columns(packets, names), split_attrs, split_vals
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
