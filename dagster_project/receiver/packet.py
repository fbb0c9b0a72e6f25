"""One received HJ 212 record: its checks, its header, the answer the standard asks for, and
the line the station lands (password masked).

Checks, with the reasons of the packet-log reader (`hj212.framing`, `hj212.fields`):
`bad_header` (no `##dddd`, no `CP=&&`, no 4-digit CN, no MN, a Flag that is not 0-255 or
PNUM/PNO inconsistent), `bad_crc_field`, `truncated`, `crc_modbus_le`, `crc_mismatch`,
`length_mismatch`, `unsupported_version` (Flag version bits other than 2005/2017/2025). A record
whose CRC holds but whose declared length lies is accepted, as the reader accepts it, and its
landed copy keeps the lying length so the warehouse still marks it (`length_ok`).

Answers (HJ 212-2017 §6.1, Tables 7 and 9, Appendix C): a packet whose Flag has bit A set gets
the data response CN=9014 (a notice, CN=1013, gets the notice response CN=9013), with the
packet's QN, ST=91, its PW and MN, Flag = the packet's version bits without A, `CP=&&&&`.
Responses from the logger (CN 9011-9014) are never answered. 2005-style packets without a Flag
ask for nothing. A rejected logger gets the request response CN=9011 with QnRtn=3 (PW error) or
4 (MN error), whatever its Flag says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.hj212.codes import FLAG_ACK, VERSION_BY_BITS
from dagster_project.hj212.crc import hj212_crc16_folded, modbus_crc16
from dagster_project.hj212.masking import MASK as _MASK
from dagster_project.hj212.masking import mask_raw

REPLY_CNS = frozenset({"9011", "9012", "9013", "9014"})
NOTICE_CNS = frozenset({"1013"})  # notices from the logger: answered with 9013
QNRTN_PW_ERROR = 3
QNRTN_MN_ERROR = 4
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HEADER_FIELDS = {"QN", "ST", "CN", "PW", "MN", "FLAG", "PNUM", "PNO"}
_CN = re.compile(r"^\d{4}$")
_SEP = re.compile(r"[;,]")
MASK = _MASK.encode()


@dataclass(slots=True)
class Packet:
    """A record whose CRC holds, with its header fields (text as sent; None when absent)."""

    segment: bytes
    declared_len: int
    cp_at: int  # offset of `CP=&&` in the segment
    qn: str | None
    st: str | None
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    pw_span: tuple[int, int] | None = None  # where PW's value is, in a canonical header

    @property
    def version_bits(self) -> int:
        return (self.flag or 0) >> 2

    @property
    def wants_answer(self) -> bool:
        return self.flag is not None and bool(self.flag & FLAG_ACK)


def check(record: bytes) -> tuple[str | None, Packet | None]:
    """(None, packet) for a usable record, else (reason, None)."""
    if len(record) < 10 or record[:2] != b"##" or not record[2:6].isdigit():
        return "bad_header", None
    declared = int(record[2:6])
    segment = record[6:-4]
    crc_text = record[-4:]
    if not all(c in _HEX for c in crc_text):
        return ("truncated" if len(segment) < declared else "bad_crc_field"), None
    sent = int(crc_text, 16)
    if hj212_crc16_folded(segment) != sent:
        crc = modbus_crc16(segment)
        if ((crc & 0xFF) << 8 | crc >> 8) == sent:
            return "crc_modbus_le", None
        if len(segment) < declared:
            return "truncated", None
        return ("length_mismatch" if len(segment) != declared else "crc_mismatch"), None
    return parse_header(segment, declared)


# The header almost every logger sends, read in one match (others field by field).
_CANONICAL = re.compile(
    rb"(?:QN=([^;,=]*);)?ST=([^;,=]*);CN=(\d{4});PW=([^;,=]*);MN=([^;,=]+);"
    rb"(?:Flag=(\d{1,3});)?CP=&&"
)


def parse_header(segment: bytes, declared: int) -> tuple[str | None, Packet | None]:
    """The header fields before `CP=&&`, in any order, `,` tolerated as a separator and `FLAG`
    in any case; the first occurrence of a field wins."""
    m = _CANONICAL.match(segment)
    if m is not None:
        qn, st, cn, pw, mn, flag_text = (
            None if g is None else g.decode("utf-8", "replace") for g in m.groups()
        )
        flag = None if flag_text is None else int(flag_text)
        if flag is not None and (flag > 255 or flag >> 2 not in VERSION_BY_BITS):
            return ("bad_header" if flag > 255 else "unsupported_version"), None
        assert cn is not None and mn is not None
        cp_at = m.end() - 5
        return None, Packet(segment, declared, cp_at, qn, st, cn, pw, mn, flag, m.span(4))
    cp_at = segment.find(b"CP=&&")
    if cp_at < 0:
        return "bad_header", None
    head = segment[:cp_at].decode("utf-8", "replace")
    found: dict[str, str] = {}
    for part in _SEP.split(head):
        name, eq, value = part.partition("=")
        key = "FLAG" if name.upper() == "FLAG" else name
        if eq and key in _HEADER_FIELDS and key not in found:
            found[key] = value
    cn, mn, flag_text = found.get("CN", ""), found.get("MN", ""), found.get("FLAG")
    if not _CN.match(cn) or not mn:
        return "bad_header", None
    flag = None
    if flag_text is not None:
        if not flag_text.isdigit() or int(flag_text) > 255:
            return "bad_header", None
        flag = int(flag_text)
        if flag >> 2 not in VERSION_BY_BITS:
            return "unsupported_version", None
    if not _split_fields_ok(found.get("PNUM"), found.get("PNO")):
        return "bad_header", None
    packet = Packet(
        segment, declared, cp_at, found.get("QN"), found.get("ST"), cn, found.get("PW"), mn, flag
    )
    return None, packet


def _split_fields_ok(pnum: str | None, pno: str | None) -> bool:
    if pnum is None and pno is None:
        return True
    if pnum is None or pno is None or not pnum.isdigit() or not pno.isdigit():
        return False
    return 1 <= int(pno) <= int(pnum)


def answer_cn(packet: Packet) -> str | None:
    """The CN of the answer the standard asks for, or None."""
    if packet.cn in REPLY_CNS or not packet.wants_answer:
        return None
    return "9013" if packet.cn in NOTICE_CNS else "9014"


def reply(packet: Packet, cn: str, cp: str = "") -> bytes:
    """A framed answer to `packet` (see the module docstring)."""
    parts = [] if packet.qn is None else [f"QN={packet.qn}"]
    parts += ["ST=91", f"CN={cn}", f"PW={packet.pw or ''}", f"MN={packet.mn}"]
    if packet.flag is not None:
        parts.append(f"Flag={packet.version_bits << 2}")
    segment = (";".join(parts) + f";CP=&&{cp}&&").encode("utf-8")
    return b"##%04d%s%04X\r\n" % (len(segment), segment, hj212_crc16_folded(segment))


def rejection(packet: Packet, qn_rtn: int) -> bytes:
    """The request response (CN=9011) that turns a logger away: QnRtn 3 (PW) or 4 (MN)."""
    return reply(packet, "9011", f"QnRtn={qn_rtn}")


def landed_line(packet: Packet) -> bytes:
    """The packet as the station stores it: the password masked, then framed again (new CRC;
    the declared length recomputed unless the logger's was wrong, which is kept)."""
    seg, cut = packet.segment, packet.cp_at
    if packet.pw_span is not None:  # canonical header: every other field is well formed
        a, b = packet.pw_span
        head = seg[:a] + MASK + seg[b:cut]
    else:
        head = mask_raw(seg[:cut].decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
    cp = seg[cut:]
    if b"pw=" in cp.lower():  # a password in the CP too (NewPW=...): the slow path
        cp = mask_raw(cp.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
    segment = head + cp
    length_ok = packet.declared_len == len(packet.segment)
    length = len(segment) if length_ok else packet.declared_len
    return b"##%04d%s%04X\r\n" % (length, segment, hj212_crc16_folded(segment))
