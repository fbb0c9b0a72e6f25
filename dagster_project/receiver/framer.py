"""Cut a logger's TCP byte stream into HJ 212 records.

A packet is `##dddd<segment>XXXX\\r\\n`; TCP delivers it in pieces of any size: one packet over
several reads, several packets in one read, garbage between them. Records end at a line feed
(the `\\r` before it, and any whitespace around a record, is stripped), as in the packet-log
reader (`hj212.framing`): a `##dddd` in the middle of a line starts a new record, and bytes
before the first `##dddd` of a line are garbage. The declared length is not trusted for
framing (real loggers lie about it), only checked afterwards.

A line can never be longer than the longest possible packet (`MAX_FRAME`, the 4-digit length
field's limit plus framing); a client that sends more without a line feed is `oversize`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_FRAME = 2 + 4 + 9999 + 4 + 2  # `##`, length digits, the longest segment, CRC, CR LF
_HEAD = re.compile(rb"##\d{4}")


@dataclass
class Cut:
    """What one read yielded: complete records, garbage bytes skipped, and whether the pending
    line outgrew MAX_FRAME (the buffer is then dropped)."""

    records: list[bytes] = field(default_factory=list)
    garbage: int = 0
    oversize: bool = False


class Framer:
    """Keeps the incomplete tail of a stream between reads."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> Cut:
        cut = Cut()
        buf = self._buf
        buf += data
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            _split_line(bytes(buf[start:nl]).strip(), cut)
            start = nl + 1
        if start:
            del buf[:start]
        if len(buf) > self.max_frame:
            cut.oversize = True
            cut.garbage += len(buf)
            buf.clear()
        return cut


def _split_line(line: bytes, cut: Cut) -> None:
    if not line:
        return
    if line.startswith(b"##") and line.find(b"##", 2) < 0:  # the usual case: one packet
        cut.records.append(line)
        return
    heads = [m.start() for m in _HEAD.finditer(line)]
    if not heads:
        cut.garbage += len(line)
        return
    cut.garbage += heads[0]
    for a, b in zip(heads, [*heads[1:], len(line)], strict=True):
        record = line[a:b].strip()
        if record:
            cut.records.append(record)
