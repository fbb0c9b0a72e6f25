"""Find each data segment's header and CP area in the file buffer; check CPs split on `=;,`.

Works on one block of records at a time, in numpy, so the polars stage gets short header strings
and ready-split CP text instead of copying and scanning whole segments several times.

* Located: the first `&` of the segment opens `CP=&&` and the segment holds only ASCII. The
  header is the text before `CP=`, the CP area the text after `&&` (a closing `&&` stripped).
  Other segments (no `CP=&&`, a stray `&` in the header, bytes >= 0x80) are left to the general
  text path, which handles any content.
* `fast_bytes` holds the block with every `=`, `;` and `,` turned into `,`: for a CP whose
  items are all `name=value`, one split of that text yields name, value, name, value, ...
  `irregular_cps` finds, from the split parts, the CPs for which that does not hold.
* `text_column` turns byte ranges of a buffer into a polars string column without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

_AMP, _EQ, _SEMI, _COMMA = 38, 61, 59, 44
# bytes.translate is one C pass over the block, several times faster than numpy masks here
_TO_COMMA = bytes(_COMMA if c in (_EQ, _SEMI, _COMMA) else c for c in range(256))


@dataclass
class Layout:
    """Per record of the block (equal-length arrays), offsets into the file buffer."""

    located: np.ndarray  # bool: header and CP offsets below are valid
    header_end: np.ndarray  # the header starts with its segment
    cp_start: np.ndarray
    cp_end: np.ndarray
    fast_bytes: np.ndarray  # the block's bytes with `=;,` as `,` (index 0 = buffer offset lo)
    lo: int


def _rows_with(positions: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Mask of the ranges [start, end) holding at least one of the sorted `positions`."""
    if not len(positions):
        return np.zeros(len(start), dtype=bool)
    first = np.searchsorted(positions, start)
    return (first < len(positions)) & (positions[np.minimum(first, len(positions) - 1)] < end)


def locate(buf: np.ndarray, seg_start: np.ndarray, seg_end: np.ndarray) -> Layout:
    """Layout of the segments buf[seg_start[i]:seg_end[i]] (sorted, non-overlapping)."""
    n = len(seg_start)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        no = np.zeros(0, dtype=bool)
        return Layout(no, empty, empty, empty, np.zeros(0, np.uint8), 0)
    lo, hi = int(seg_start[0]), int(seg_end.max())
    block = buf[lo:hi]
    raw = block.tobytes()
    high = (
        np.zeros(n, dtype=bool)
        if raw.isascii()
        else _rows_with(np.flatnonzero(block >= 0x80) + lo, seg_start, seg_end)
    )

    amp = np.flatnonzero(block == _AMP) + lo
    k = np.searchsorted(amp, seg_start)
    p = amp[np.minimum(k, max(len(amp) - 1, 0))] if len(amp) else np.zeros(n, np.int64)
    size = len(buf)

    def byte(offset: np.ndarray) -> np.ndarray:
        return buf[np.clip(offset, 0, size - 1)]

    located = (
        (k < len(amp))
        & (p < seg_end)
        & (p - 3 >= seg_start)
        & (byte(p - 3) == ord("C"))
        & (byte(p - 2) == ord("P"))
        & (byte(p - 1) == _EQ)
        & (p + 1 < seg_end)
        & (byte(p + 1) == _AMP)
        & ~high
    )
    cp_start = p + 2
    closed = (seg_end - 2 >= cp_start) & (byte(seg_end - 2) == _AMP) & (byte(seg_end - 1) == _AMP)
    cp_end = np.where(closed, seg_end - 2, seg_end)

    fast_bytes = np.frombuffer(raw.translate(_TO_COMMA), dtype=np.uint8)
    return Layout(located, p - 3, cp_start, cp_end, fast_bytes, lo)


def text_column(
    buf: np.ndarray, start: np.ndarray, end: np.ndarray, name: str, lenient: bool = False
) -> pl.Series:
    """The byte ranges buf[start:end] (sorted, non-overlapping) as a string Series, without a
    Python loop: an Arrow binary array whose offsets alternate range / gap over the buffer,
    every other element kept. `lenient`: ranges that are not UTF-8 (bytes >= 0x80 are rare:
    Chinese Info texts, a GBK logger, line noise) are decoded with replacement characters;
    otherwise the ranges must be ASCII or UTF-8."""
    if not len(start):
        return pl.Series(name, [], dtype=pl.String)
    offsets = np.empty(2 * len(start), dtype=np.int64)
    offsets[0::2], offsets[1::2] = start, end
    arr = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )
    binary = pl.Series(name, arr).gather(np.arange(0, len(offsets), 2))
    if lenient:
        lo, hi = int(start.min()), int(end.max())
        high = np.flatnonzero(buf[lo:hi] >= 0x80) + lo
        row = np.searchsorted(start, high, side="right") - 1
        rows = np.unique(row[(row >= 0) & (high < end[np.maximum(row, 0)])])
        bad, fixed = [], []
        for i in rows.tolist():
            raw = bytes(buf[start[i] : end[i]])
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(i)
                fixed.append(raw.decode("utf-8", "replace").encode("utf-8"))
        if bad:
            binary = binary.scatter(bad, pl.Series(fixed, dtype=pl.Binary))
    return binary.cast(pl.String).alias(name)


def irregular_cps(flat: pl.DataFrame, cp_offset: np.ndarray, buf: np.ndarray) -> pl.Series:
    """The packets whose CP, split on every `=`, `;` and `,` into `flat` (pkt, parts; the parts
    of a packet consecutive), does not strictly alternate name `=` value separator: an odd
    number of parts, or a `=` where a separator belongs or the reverse. The delimiter after
    each part is read back from `buf` at the offset the part lengths give (`cp_offset[pkt]`:
    where the CP starts); it is one of `=;,` by construction, so only `=` or not matters."""
    pkt = flat.get_column("pkt").to_numpy()
    n = len(pkt)
    if n == 0:
        return pl.Series("pkt", [], dtype=flat.schema["pkt"])
    first = np.flatnonzero(np.concatenate(([True], pkt[1:] != pkt[:-1])))
    counts = np.diff(np.append(first, n))
    # offset in buf of the delimiter after each part: a running sum of part sizes (+1 for the
    # delimiter), shifted per packet so that its first part starts at its CP's start
    size = flat.get_column("parts").str.len_bytes().to_numpy().astype(np.int64) + 1
    after = np.cumsum(size)
    shift = cp_offset[pkt[first]] - np.concatenate(([0], after[first[1:] - 1]))
    after += np.repeat(shift, counts)
    last = first + counts - 1
    after[last] = cp_offset[pkt[first]]  # no delimiter after a CP's last part: read anything
    is_eq = buf[after - 1] == _EQ
    name_part = np.zeros(n, dtype=bool)  # even within its packet: even overall, flipped for
    name_part[0::2] = True  # packets that start at an odd overall index
    name_part ^= np.repeat((first & 1) == 1, counts)
    wrong = is_eq != name_part
    wrong[last] = False
    bad = counts % 2 == 1
    bad[np.searchsorted(first, np.flatnonzero(wrong), side="right") - 1] = True
    return pl.Series("pkt", pkt[first[bad]])
