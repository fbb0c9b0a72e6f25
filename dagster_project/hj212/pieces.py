"""One piece of a packet log (whole lines): read from the file, framed, checked and parsed into
packets and the value rows of its usable unsplit data packets, numbered from 0 within the piece
(parse.py numbers lines per file). Pieces run in a thread pool: numpy and polars release the GIL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project.hj212 import codes, fields, framing, layout
from dagster_project.hj212.logfile import GZIP_MAGIC, FileProblem, read_log
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
_WHITESPACE = b" \t\r\n\x0b\x0c"


class LogPieces:
    """A log's bytes in pieces of whole lines, about PIECE_BYTES each (the last one may end
    without a newline), and, once iterated, what kept it from being read whole (`problem`, see
    logfile.py: unreadable_file, truncated_file, empty_file). A plain log streams from disk
    (memory: about one piece); a gzip log (by magic number, whatever its name) is decompressed
    whole first by logfile.read_log, which locates a cut or damage and holds back the incomplete
    line where reading stopped (memory: one logger's file, e.g. an outlet-month)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: FileProblem | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            self.problem = FileProblem("unreadable_file", 0, f"cannot read the file: {exc}")
            return
        with fh:
            if fh.read(2) == GZIP_MAGIC:
                log = read_log(self.path)
                self.problem = log.problem
                data = log.data
                yield from _whole_lines(
                    data[k : k + READ_BYTES] for k in range(0, len(data), READ_BYTES)
                )
                return
            fh.seek(0)
            # leading whitespace is held back: a file of nothing else is an empty_file
            held: list[bytes] | None = []
            for piece in _whole_lines(iter(lambda: fh.read(READ_BYTES), b"")):
                if held is None:
                    yield piece
                    continue
                held.append(piece)
                if piece.strip(_WHITESPACE):
                    yield from held
                    held = None
            if held is not None:
                detail = "file holds only whitespace" if any(held) else "file has 0 bytes"
                self.problem = FileProblem("empty_file", 0, detail)


def read_pieces(path: Path) -> Iterator[bytes]:
    """The pieces of LogPieces(path), without its problem."""
    return iter(LogPieces(path))


def _whole_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
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


@dataclass
class Piece:
    """One piece's records with their check results, and its parsed chunk. A piece is part of
    one log, or several small logs whole (`file_idx` says whose each record is)."""

    buf: np.ndarray  # the piece's bytes
    start: np.ndarray  # records, as offsets into buf
    end: np.ndarray
    line_no: np.ndarray  # 1-based line in the file
    status: np.ndarray
    chunk: Chunk
    file_idx: np.ndarray  # the file of each record (an index into the stream's names)
    blank_lines: dict[int, int]  # whitespace-only lines (not records), by file index

    def text(self, i: int) -> str:
        """Record i as text (for rejects; bytes that are not UTF-8 replaced)."""
        return bytes(self.buf[self.start[i] : self.end[i]]).decode("utf-8", "replace")


def parse_piece(
    parts: Sequence[tuple[int, int, bytes]], names: list[str], modbus_le_allowed: list[str]
) -> Piece:
    """Frame, check and parse the records of one piece (`pkt`, `rec` numbered from 0): `parts`
    are (file index, lines of the file before this part, bytes) in order: a piece of one file,
    or several small files whole. Each part is framed on its own, so a piece of many logs reads
    exactly as the logs one by one would."""
    data = parts[0][2] if len(parts) == 1 else b"".join(d for _, _, d in parts)
    buf = np.frombuffer(data, dtype=np.uint8)
    framed = []
    offset = 0
    for file_idx, line_base, part in parts:
        view = buf[offset : offset + len(part)]
        rec = framing.split_records(view)
        start, end, line_no, status, _declared, length_ok = framing.merge_unchecked_splits(
            view, rec.start, rec.end, rec.line_no, *framing.check_records(view, rec.start, rec.end)
        )
        idx = np.full(len(start), file_idx, dtype=np.int32)
        framed.append(
            (start + offset, end + offset, line_no + line_base, status, length_ok, idx, rec)
        )
        offset += len(part)
    start, end, line_no, status, length_ok, file_idx_of = (
        np.concatenate([f[k] for f in framed]) for k in range(6)
    )
    usable = np.flatnonzero((status == framing.OK) | (status == framing.MODBUS_LE))
    segs = pl.DataFrame(
        {
            "pkt": np.arange(len(usable), dtype=np.uint32),
            "file_idx": file_idx_of[usable],
            "rec": usable.astype(np.int64),
            "line_no": line_no[usable].astype(np.int64),
            "modbus": status[usable] == framing.MODBUS_LE,
            "length_ok": length_ok[usable],
        }
    ).hstack(_segment_columns(buf, start[usable] + 6, end[usable] - 4))
    chunk = parse_chunk(segs, names, modbus_le_allowed, buf)
    blank: dict[int, int] = {}
    for (file_idx, _, _), f in zip(parts, framed, strict=True):
        blank[file_idx] = blank.get(file_idx, 0) + f[6].blank_lines
    return Piece(buf, start, end, line_no, status, chunk, file_idx_of, blank)


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
    rows = value_rows(packets, attrs, vals)
    return Chunk(
        packets.drop("set_key"), rows, packet_columns(packets, names), split_attrs, split_vals
    )


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
