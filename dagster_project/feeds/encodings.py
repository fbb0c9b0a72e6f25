"""Text encodings of delivered CSV ledgers: UTF-8 (with or without BOM) or GBK/GB18030.

Strict UTF-8 first: GBK bytes for Chinese text are almost never valid UTF-8, while the reverse
guess (GB18030 first) would happily mis-decode UTF-8 files. GB18030 is a superset of GBK and
GB2312, so one fallback covers all three. A UTF-16 byte-order mark (Excel's "Unicode text"
export, tab-delimited) is honoured too.

A file cut in the middle of a multi-byte character (a half-copied or half-uploaded file) is
still decoded: `Decoded.cut` says so and the incomplete character is dropped, so the reader
keeps the good rows and rejects the cut last one (`truncated_row`) instead of failing the
whole file, or worse, mis-decoding a UTF-8 file as GB18030.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple


class UndecodableError(ValueError):
    """The bytes are neither UTF-8 nor GB18030."""


class Decoded(NamedTuple):
    text: str
    encoding: str  # 'utf-16', 'utf-8-sig' (BOM present), 'utf-8' or 'gb18030'
    cut: bool = False  # the bytes ended inside a character, which was dropped


def decode_ledger_bytes(data: bytes) -> Decoded:
    """The text of a ledger file and the encoding it was read with."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"UTF-16 BOM but invalid UTF-16 at byte {exc.start}") from exc
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        return Decoded(body.decode("utf-8"), encoding)
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(body):
            return Decoded(body[: exc.start].decode("utf-8"), encoding, cut=True)
        if bom:
            raise UndecodableError(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from exc
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError as exc:
        raise UndecodableError(
            f"neither UTF-8 nor GB18030 (invalid byte at offset {exc.start})"
        ) from exc
    pending = decoder.getstate()[0]
    return Decoded(text, "gb18030", cut=bool(pending))
