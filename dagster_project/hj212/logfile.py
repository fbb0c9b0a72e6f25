"""Read one packet log whole, or say what kept it from being read whole.

A log is plain bytes or gzip (by magic number, whatever its name). `read_log(path)` returns the
bytes the parser frames and at most one file-level problem (`FileProblem`), which the parser
turns into one row of the rejects, so a file that cannot be read whole never passes unseen:

* `unreadable_file`: the file cannot be opened; or its gzip data are damaged part-way (what
  decompressed before the damage is kept); or the gzip check (CRC-32, length) fails, so the
  bytes differ from what the logger wrote (every packet is still checked by its own CRC); or
  bytes after the gzip stream are not gzip.
* `truncated_file`: the gzip stream stops before its end (a cut or half-copied file). Everything
  before the cut is kept.
* `empty_file`: no bytes at all, or only whitespace (also after decompression).

When reading stops inside a line, that line is incomplete by definition: it is not framed as a
packet but becomes the problem's `raw_text`, and the problem's `line_no` is that line (for a
stop at a line end, the line after the last one read). A problem about the file as a whole
(cannot be opened, gzip check failed, empty) has `line_no` 0.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 16  # compressed bytes fed to zlib per step
_STEP = 256  # finer steps once a block failed, to keep as much as decompressed before the damage
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 2, 4, 8, 16
_WHITESPACE = b" \t\r\n\x0b\x0c"


@dataclass(frozen=True)
class FileProblem:
    reason: str  # truncated_file, empty_file or unreadable_file
    line_no: int  # where reading stopped; 0: the file as a whole
    detail: str
    raw_text: str = ""  # the incomplete line where reading stopped, if any


@dataclass(frozen=True)
class LogBytes:
    data: bytes  # whole lines only when a problem stopped the reading part-way
    problem: FileProblem | None = None


@dataclass(frozen=True)
class _Damaged:
    reason: str  # truncated, damaged, trailing or gzip_check
    detail: str


def read_log(path: Path) -> LogBytes:
    """The log's bytes (gunzipped) and what, if anything, kept it from being read whole."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return LogBytes(b"", FileProblem("unreadable_file", 0, f"cannot read the file: {exc}"))
    if raw[:2] != GZIP_MAGIC:
        return _checked(raw, None, "")
    try:
        return _checked(_gunzip_whole(raw), None, "gzip ")
    except (OSError, EOFError, zlib.error):
        pass  # damaged somewhere: decompress again, step by step, to say where and keep the rest
    data, damage = _gunzip_stepwise(raw)
    return _checked(data, damage, "gzip ")


def _gunzip_whole(raw: bytes) -> bytes:
    """Every member of a healthy gzip file (the fast path: one zlib call per member)."""
    out = []
    pos = 0
    while pos < len(raw):
        if raw[pos : pos + 2] != GZIP_MAGIC:
            raise OSError("data after the gzip stream")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(raw[pos:]))
        if not d.eof:
            raise EOFError("gzip stream ends early")
        pos = len(raw) - len(d.unused_data)
    return b"".join(out)


def _checked(data: bytes, damage: _Damaged | None, kind: str) -> LogBytes:
    if damage is None:
        if _has_content(data):
            return LogBytes(data)
        if not data:
            detail = f"{kind}file holds no data" if kind else "file has 0 bytes"
        else:
            detail = f"{kind}file holds only whitespace"
        return LogBytes(b"", FileProblem("empty_file", 0, detail))
    if damage.reason == "gzip_check":  # every byte decompressed, but not the bytes written
        return LogBytes(data, FileProblem("unreadable_file", 0, damage.detail))
    cut = data.rfind(b"\n") + 1
    whole, partial = data[:cut], data[cut:]
    line_no = whole.count(b"\n") + 1
    reason = "truncated_file" if damage.reason == "truncated" else "unreadable_file"
    detail = f"{damage.detail}; {line_no - 1} whole lines read before it"
    text = partial.decode("utf-8", "replace")
    return LogBytes(whole, FileProblem(reason, line_no, detail, text))


def _has_content(data: bytes) -> bool:
    """Any byte that is not whitespace (chunk by chunk: a real log answers in its first)."""
    return any(data[k : k + _BLOCK].strip(_WHITESPACE) for k in range(0, len(data), _BLOCK))


def _gunzip_stepwise(raw: bytes) -> tuple[bytes, _Damaged | None]:
    """Decompress member by member with raw deflate, checking each member's CRC-32 and length
    here, so that damage, a cut or a failed check is located and the output before it kept."""
    out = bytearray()
    pos = 0
    while pos < len(raw):
        if raw[pos : pos + 2] != GZIP_MAGIC:
            extra = len(raw) - pos
            return bytes(out), _Damaged(
                "trailing", f"{extra} bytes after the gzip stream (at byte {pos}) are not gzip"
            )
        start = len(out)
        body = _member_body(raw, pos)
        if body is None:
            return bytes(out), _Damaged("truncated", f"gzip header cut at byte {len(raw)}")
        d = zlib.decompressobj(-zlib.MAX_WBITS)
        k = body
        while k < len(raw) and not d.eof:
            chunk, damage = _inflate(d, raw, k, min(k + _BLOCK, len(raw)))
            out += chunk
            if damage is not None:
                return bytes(out), damage
            k += _BLOCK
        if not d.eof:
            return bytes(out), _Damaged(
                "truncated", f"gzip stream ends before its end marker ({len(raw)} bytes)"
            )
        trailer = d.unused_data[:8]
        if len(trailer) < 8:
            return bytes(out), _Damaged("truncated", "gzip trailer (CRC-32, length) cut")
        crc, size = struct.unpack("<II", trailer)
        member = bytes(out[start:])
        if zlib.crc32(member) != crc or len(member) & 0xFFFFFFFF != size:
            return bytes(out), _Damaged(
                "gzip_check",
                "gzip check failed (CRC-32 or length): the bytes differ from those written; "
                "every packet was still checked against its own CRC",
            )
        pos = len(raw) - len(d.unused_data) + 8
    return bytes(out), None


def _inflate(d: Any, raw: bytes, lo: int, hi: int) -> tuple[bytes, _Damaged | None]:
    """Output of raw[lo:hi]; on damage, the output of the small steps before it and the damage."""
    saved = d.copy()
    try:
        return d.decompress(raw[lo:hi]), None
    except zlib.error:
        pass
    good = bytearray()
    for k in range(lo, hi, _STEP):
        try:
            good += saved.decompress(raw[k : min(k + _STEP, hi)])
        except zlib.error as exc:
            return bytes(good), _Damaged("damaged", f"gzip data damaged near byte {k}: {exc}")
    return bytes(good), _Damaged("damaged", f"gzip data damaged between bytes {lo} and {hi}")


def _member_body(raw: bytes, pos: int) -> int | None:
    """Offset of a gzip member's deflate data (RFC 1952 header), None when the header is cut."""
    if pos + 10 > len(raw):
        return None
    flags = raw[pos + 3]
    k = pos + 10
    if flags & _FEXTRA:
        if k + 2 > len(raw):
            return None
        k += 2 + int.from_bytes(raw[k : k + 2], "little")
    for flag in (_FNAME, _FCOMMENT):
        if flags & flag:
            end = raw.find(b"\x00", k)
            if end < 0:
                return None
            k = end + 1
    if flags & _FHCRC:
        k += 2
    return k if k <= len(raw) else None
