"""Frame HJ 212 packet logs and check each frame's header, length and CRC, vectorised in numpy.

A log is one byte buffer. A record starts at every line start and at a `##dddd` found in the
middle of a line when a packet that checks out (CRC) starts or ends there: two packets glued
together when a `\\r\\n` was lost, or garbage before a packet. It ends at the end of its line or
where the next record starts. A `##dddd` inside a line of garbage does not cut the garbage in
two, so one bad line is one reject, never two. Leading and trailing whitespace and NUL bytes
(so `\\r\\n`, `\\n`, stray `\\r` and NUL padding alike) are stripped; blank lines are not records
(`Records.blank_lines` counts them), but a line of nothing but NUL bytes is one (a reject).

Checks per record: `##` + 4 digits, a 4-hex-digit CRC at the end (either case), then the HJ 212
CRC16 over the data segment. A frame whose CRC fails is tested against the MODBUS CRC printed
low byte first (a variant some loggers send). The declared length is compared with the data
segment's byte count; a lying length with a good CRC is kept and marked (`length_ok = False`),
because the CRC, not the length, protects the content.

The CRC runs over all frames at once: frames are sorted by length and cut into chunks; each
chunk becomes a right-aligned byte matrix (one row per frame, padded on the left with a byte
that leaves the CRC register's high byte at 0xFF, which is all the next step reads). The next
high byte is a GF(2)-linear function of (high byte, two data bytes): h' = A ^ G(h), where
A = H2[byte pair] and G = H2 restricted to h. So A is looked up for every pair of the matrix at
once, and the recurrence is folded pairwise (h'' = A1 ^ G(A0) ^ G²(h)) in log2(width) whole-
matrix steps, with tables for G, G², G⁴, ... No per-column Python loop, no transpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dagster_project.hj212.crc import HJ212_TABLE

_T16 = np.array(HJ212_TABLE, dtype=np.uint16)
_H8 = (_T16 >> 8).astype(np.uint8)
# The high bytes of the table are a permutation of 0..255, so one byte value maps the register's
# high byte 0xFF back to 0xFF: left padding with it leaves the CRC of the real bytes unchanged.
_PAD = np.uint8(0xFF ^ int(np.flatnonzero(_H8 == 0xFF)[0]))


def _modbus_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint16)
    for x in range(256):
        crc = x
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[x] = crc
    return table


_TMOD = _modbus_table()
_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
    _HEX[bytes([_c]).lower()[0]] = _i
_WS = np.zeros(256, dtype=bool)
_WS[[0, 9, 10, 11, 12, 13, 32]] = True

CHUNK_ROWS = 8192

# Frame status codes (see STATUS_NAMES); OK and MODBUS_LE carry a usable segment.
OK, MODBUS_LE, BAD_HEADER, TRUNCATED, BAD_CRC_FIELD, CRC_MISMATCH, LENGTH_MISMATCH = range(7)
STATUS_NAMES = {
    OK: "ok",
    MODBUS_LE: "crc_modbus_le",
    BAD_HEADER: "bad_header",
    TRUNCATED: "truncated",
    BAD_CRC_FIELD: "bad_crc_field",
    CRC_MISMATCH: "crc_mismatch",
    LENGTH_MISMATCH: "length_mismatch",
}


@dataclass
class Frames:
    """Records of one buffer: byte offsets, line numbers and check results (equal-length arrays)."""

    buf: np.ndarray  # uint8 view of the whole buffer
    start: np.ndarray  # record start (int64)
    end: np.ndarray  # record end, exclusive, whitespace stripped
    line_no: np.ndarray  # 1-based physical line of the record's start
    status: np.ndarray  # int8 status code
    declared_len: np.ndarray  # the 4 length digits (-1 when unreadable)
    length_ok: np.ndarray  # declared length == data segment bytes

    @property
    def seg_start(self) -> np.ndarray:
        return self.start + 6

    @property
    def seg_len(self) -> np.ndarray:
        return self.end - self.start - 10

    def text(self, i: int) -> str:
        return bytes(self.buf[self.start[i] : self.end[i]]).decode("utf-8", "replace")


class Records(NamedTuple):
    start: np.ndarray  # record start (int64)
    end: np.ndarray  # record end, exclusive, whitespace stripped
    line_no: np.ndarray  # 1-based physical line of the record's start
    newlines: int  # `\n` bytes in the buffer
    blank_lines: int  # lines holding only whitespace (the empty rest after a final `\n` aside)


def split_records(buf: np.ndarray) -> Records:
    """The records of a buffer before `merge_unchecked_splits` (see the module docstring):
    here every `##dddd` inside a line starts a record."""
    n = len(buf)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Records(empty, empty.copy(), empty.copy(), 0, 0)
    nl = np.flatnonzero(buf == 10)
    line_start = np.concatenate(([0], nl + 1)).astype(np.int64)
    line_end = np.concatenate((nl, [n])).astype(np.int64)
    # `##dddd` candidates: '#' is rare inside packets, so filter the few hits in steps
    hh = np.flatnonzero(buf[:-1] == 35) if n > 1 else np.zeros(0, dtype=np.int64)
    hh = hh[buf[hh + 1] == 35]
    hh = hh[hh + 6 <= n]
    for k in range(2, 6):
        if len(hh):
            d = buf[hh + k]
            hh = hh[(d >= 48) & (d <= 57)]
    line_of_hh = np.searchsorted(line_start, hh, side="right") - 1
    mid = hh[hh != line_start[line_of_hh]]
    starts = np.union1d(line_start, mid).astype(np.int64)
    line_idx = np.searchsorted(line_start, starts, side="right") - 1
    nxt = np.append(starts[1:], n)
    ends = np.minimum(line_end[line_idx], nxt)
    first, last = starts.copy(), ends.copy()
    # strip whitespace both sides; a few vectorised passes cover any real line
    for _ in range(64):
        m = (ends > starts) & _WS[buf[np.maximum(ends - 1, 0)]]
        if not m.any():
            break
        ends = ends - m
    for _ in range(64):
        m = (ends > starts) & _WS[buf[np.minimum(starts, n - 1)]]
        if not m.any():
            break
        starts = starts + m
    keep = ends > starts
    gone = np.flatnonzero(~keep)
    if len(gone):  # a line of nothing but NUL bytes (and whitespace) is a record, not a blank
        nul = gone[_holds_nul(buf, first[gone], last[gone])]
        keep[nul] = True
        starts[nul], ends[nul] = first[nul], last[nul]
    lines = len(nl) + int(buf[-1] != 10)
    kept_lines = int(np.count_nonzero(np.diff(line_idx[keep]))) + int(keep.any())
    return Records(starts[keep], ends[keep], line_idx[keep] + 1, len(nl), lines - kept_lines)


def _holds_nul(buf: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whether each (short, whitespace-only) range buf[start:end] holds a NUL byte."""
    lens = end - start
    total = int(lens.sum())
    has = np.zeros(len(start), dtype=bool)
    if total == 0:
        return has
    offsets = np.cumsum(lens) - lens
    idx = np.repeat(start - offsets, lens) + np.arange(total)
    zero = (buf[idx] == 0).astype(np.int64)
    nonempty = lens > 0
    has[nonempty] = np.add.reduceat(zero, offsets[nonempty]) > 0
    return has


def _pair_table() -> np.ndarray:
    """H2[a | b << 8] = H[H[a] ^ b]: the register's high byte after two data bytes, indexed by
    the first byte already xor-ed with the high byte, so one lookup advances two bytes."""
    a = np.arange(1 << 16)
    return _H8[_H8[a & 0xFF] ^ (a >> 8)].astype(np.uint16)


_H2 = _pair_table()
_H2_8 = _H2.astype(np.uint8)


def _g_powers(levels: int = 16) -> list[np.ndarray]:
    """G^(2^l) as 256-entry tables, G(h) = H2[h]: the high byte after two zero bytes."""
    g = [_H2_8[:256].copy()]
    for _ in range(levels - 1):
        g.append(g[-1][g[-1]])
    return g


_G_POW = _g_powers()
_GH2 = _G_POW[0][_H2_8]


def _windows(buf: np.ndarray, first: np.ndarray, width: int) -> np.ndarray:
    """Rows buf[first[i] : first[i] + width]; bytes before the buffer's start read as zero."""
    neg = first < 0
    if not neg.any():
        return sliding_window_view(buf, width)[first]
    mat = np.empty((len(first), width), dtype=np.uint8)
    mat[~neg] = sliding_window_view(buf, width)[first[~neg]]
    head = np.concatenate((np.zeros(width, np.uint8), buf[: int((first[neg] + width).max())]))
    mat[neg] = sliding_window_view(head, width)[first[neg] + width]
    return mat


def _crc_chunks(
    buf: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray, modbus: bool
) -> np.ndarray:
    """CRC of buf[seg_start[i] : seg_start[i] + seg_len[i]] for every i (uint16)."""
    out = np.full(len(seg_start), 0xFFFF, dtype=np.uint16)
    nonempty = np.flatnonzero(seg_len > 0)
    order = nonempty[np.argsort(seg_len[nonempty], kind="stable")]
    for c in range(0, len(order), CHUNK_ROWS):
        idx = order[c : c + CHUNK_ROWS]
        lens = seg_len[idx]
        ends = seg_start[idx] + lens
        if modbus:
            width = int(lens[-1])
            mat = _windows(buf, ends - width, width)
            out[idx] = _modbus_cols(np.ascontiguousarray(mat.T), width - lens)
            continue
        # all bytes but the last, right-aligned in an even number of columns
        width = int(lens[-1]) - 1
        width += width % 2
        if width == 0:  # one-byte segments only
            out[idx] = _T16[0xFF ^ buf[ends - 1]]
            continue
        mat = _windows(buf, ends - 1 - width, width)
        lead = width - (lens - 1)
        pad = int(lead.max())  # rows are sorted by length: only the first columns need padding
        if pad:
            mat[:, :pad][np.arange(pad)[None, :] < lead[:, None]] = _PAD
        out[idx] = _hj212_pairs(mat.view("<u2"), buf[ends - 1])  # pairs, first byte low
    return out


def _hj212_pairs(pairs: np.ndarray, last: np.ndarray) -> np.ndarray:
    """CRC of each row: byte pairs (rows x m, from an initial register 0xFF) then `last`."""
    rows, m = pairs.shape
    if m % 2:  # an odd count: the first pair steps the initial register on its own
        h = _H2_8[pairs[:, 0] ^ np.uint16(0xFF)]
        pairs = pairs[:, 1:]
    else:
        h = np.full(rows, 0xFF, dtype=np.uint8)
    if pairs.shape[1] == 0:
        return _T16[h ^ last]
    # the first fold straight from the pairs, A1 ^ G(A0), with G(H2[pair]) as one table
    a = _H2_8[pairs[:, 1::2]] ^ _GH2[pairs[:, 0::2]]
    a[:, 0] ^= _G_POW[1][h]  # the register so far, folded in: the state before is then 0
    level = 1
    while a.shape[1] > 1:
        if a.shape[1] % 2:  # odd: step the first pair into the second
            a[:, 1] ^= _G_POW[level][a[:, 0]]
            a = a[:, 1:]
        a = a[:, 1::2] ^ _G_POW[level][a[:, 0::2]]
        level += 1
    return _T16[a[:, 0] ^ last]


def _modbus_cols(cols: np.ndarray, lead: np.ndarray) -> np.ndarray:
    crc = np.full(cols.shape[1], 0xFFFF, dtype=np.uint16)
    for j in range(cols.shape[0]):
        new = (crc >> 8) ^ _TMOD[(crc ^ cols[j]) & 0xFF]
        crc = np.where(j >= lead, new, crc)
    return crc


def hj212_crc_many(buf: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray) -> np.ndarray:
    """HJ 212 CRC16 of many byte ranges of `buf` at once."""
    return _crc_chunks(buf, seg_start, seg_len, modbus=False)


def modbus_crc_many(buf: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray) -> np.ndarray:
    """CRC-16/MODBUS of many byte ranges of `buf` at once."""
    return _crc_chunks(buf, seg_start, seg_len, modbus=True)


def frame_buffer(data: bytes) -> Frames:
    """Split a log into records and check each one (see the module docstring)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    rec = split_records(buf)
    start, end, line_no, status, declared, length_ok = merge_unchecked_splits(
        buf, rec.start, rec.end, rec.line_no, *check_records(buf, rec.start, rec.end)
    )
    return Frames(buf, start, end, line_no, status, declared, length_ok)


def merge_unchecked_splits(
    buf: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    line_no: np.ndarray,
    status: np.ndarray,
    declared: np.ndarray,
    length_ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, line_no, status, declared, length_ok) with each `##dddd` split inside a line
    undone unless the record before or after it is a packet that checks out (OK or the MODBUS
    variant): garbage that happens to hold `##dddd` stays one record. Merged records are checked
    again. Records and checks come from `split_records` and `check_records`."""
    later = np.flatnonzero(line_no[1:] == line_no[:-1]) + 1  # records that start inside a line
    if not len(later):
        return start, end, line_no, status, declared, length_ok
    good = (status == OK) | (status == MODBUS_LE)
    undo = later[~good[later] & ~good[later - 1]]
    if not len(undo):
        return start, end, line_no, status, declared, length_ok
    keep = np.ones(len(start), dtype=bool)
    keep[undo] = False
    first = np.flatnonzero(keep)
    last = np.flatnonzero(np.append(keep[1:], True))  # the last record of each merged group
    start, end, line_no = start[first], end[last], line_no[first]
    status, declared, length_ok = status[first], declared[first], length_ok[first]
    merged = np.flatnonzero(last != first)
    status[merged], declared[merged], length_ok[merged] = check_records(
        buf, start[merged], end[merged]
    )
    return start, end, line_no, status, declared, length_ok


def check_records(
    buf: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(status, declared length, length_ok) of the records buf[start:end]."""
    n = len(start)
    size = len(buf)
    length = end - start

    def at(offset: int) -> np.ndarray:
        return buf[np.minimum(start + offset, max(size - 1, 0))] if size else np.zeros(n, np.uint8)

    header = (length >= 6) & (at(0) == 35) & (at(1) == 35)
    declared = np.zeros(n, dtype=np.int64)
    for k in range(2, 6):
        d = at(k).astype(np.int64) - 48
        header &= (d >= 0) & (d <= 9)
        declared = declared * 10 + d
    declared = np.where(header, declared, -1)
    seg_len = length - 10
    seg_start = start + 6
    status = np.full(n, BAD_HEADER, dtype=np.int8)
    # the last 4 bytes as hex
    crc_declared = np.zeros(n, dtype=np.int64)
    hex_ok = header & (seg_len >= 0)
    for k in range(4, 0, -1):
        v = _HEX[buf[np.clip(end - k, 0, max(size - 1, 0))]] if size else np.zeros(n, np.int16)
        hex_ok &= v >= 0
        crc_declared = crc_declared * 16 + v
    short = seg_len < declared
    status[header & ~hex_ok] = np.where(short[header & ~hex_ok], TRUNCATED, BAD_CRC_FIELD)
    cand = np.flatnonzero(hex_ok)
    crc = hj212_crc_many(buf, seg_start[cand], seg_len[cand]).astype(np.int64)
    good = crc == crc_declared[cand]
    status[cand[good]] = OK
    bad = cand[~good]
    if len(bad):
        mod = modbus_crc_many(buf, seg_start[bad], seg_len[bad]).astype(np.int64)
        le = ((mod & 0xFF) << 8) | (mod >> 8)
        variant = le == crc_declared[bad]
        status[bad[variant]] = MODBUS_LE
        rest = bad[~variant]
        status[rest] = np.where(
            short[rest],
            TRUNCATED,
            np.where(seg_len[rest] != declared[rest], LENGTH_MISMATCH, CRC_MISMATCH),
        )
    return status, declared, declared == seg_len
