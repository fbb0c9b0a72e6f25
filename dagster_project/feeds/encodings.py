"""Text encodings of delivered CSV ledgers: UTF-8 (with or without BOM) or GBK/GB18030.

Strict UTF-8 first: GBK bytes for Chinese text are almost never valid UTF-8, while the reverse
guess (GB18030 first) would happily mis-decode UTF-8 files. GB18030 is a superset of GBK and
GB2312, so one fallback covers all three. A UTF-16 byte-order mark (Excel's "Unicode text"
export, tab-delimited) is honoured too.
"""

from __future__ import annotations

import codecs


class UndecodableError(ValueError):
    """The bytes are neither UTF-8 nor GB18030."""


def decode_ledger_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding): 'utf-16', 'utf-8-sig' (BOM present), 'utf-8' or 'gb18030'."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"UTF-16 BOM but invalid UTF-16 at byte {exc.start}") from exc
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UndecodableError(
            f"neither UTF-8 nor GB18030 (invalid byte at offset {exc.start})"
        ) from exc
