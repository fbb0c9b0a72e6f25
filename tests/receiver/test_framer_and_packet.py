"""Framing a TCP stream, checking one record, and the answers built from it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.hj212.crc import hj212_crc16
from dagster_project.hj212.writer import frame
from dagster_project.receiver import packet as pk
from dagster_project.receiver.framer import MAX_FRAME, Framer

# HJ 212-2017 Table C.16: minute data from the field, and the host's data response
C16 = (
    "QN=20160801085000001;ST=32;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20160801084000;w00000-Cou=10.5,w00000-Min=16.4,w00000-Avg=17.5,"
    "w00000-Max=20.1,w00000-Flag=N&&"
)
C16_ANSWER = (
    "QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=30), st.binary(max_size=20))
def test_records_come_out_whole_however_the_stream_is_cut(cuts: list[int], junk: bytes) -> None:
    junk = junk.replace(b"#", b"").replace(b"\n", b"")
    stream = b"".join(junk + frame(C16).encode() for _ in range(3))
    framer, records, pos, k = Framer(), [], 0, 0
    while pos < len(stream):
        step = cuts[k % len(cuts)]
        records += framer.feed(stream[pos : pos + step]).records
        pos, k = pos + step, k + 1
    assert records == [frame(C16).encode().strip()] * 3


def test_oversize_line_is_dropped_and_flagged() -> None:
    framer = Framer()
    cut = framer.feed(b"##9999" + b"x" * MAX_FRAME)
    assert cut.oversize and not cut.records and framer.pending == 0


def test_check_reasons() -> None:
    good = frame(C16).encode().strip()
    assert pk.check(good)[0] is None
    assert pk.check(good[:-4] + b"0000")[0] == "crc_mismatch"
    assert pk.check(good[:-4] + b"zzzz")[0] == "bad_crc_field"
    assert pk.check(good[:40] + good[-4:])[0] == "truncated"
    assert pk.check(b"hello world")[0] == "bad_header"
    no_mn = frame("QN=1;ST=31;CN=2051;PW=1;Flag=5;CP=&&&&").encode().strip()
    assert pk.check(no_mn)[0] == "bad_header"
    v3 = frame(C16.replace("Flag=5", "Flag=13")).encode().strip()
    assert pk.check(v3)[0] == "unsupported_version"


def test_the_standards_data_response() -> None:
    _, packet = pk.check(frame(C16).encode().strip())
    assert packet is not None and pk.answer_cn(packet) == "9014"
    assert pk.reply(packet, "9014") == frame(C16_ANSWER).encode()
    seg = C16_ANSWER.encode()
    assert pk.reply(packet, "9014")[-6:-2] == b"%04X" % hj212_crc16(seg)


def test_who_gets_an_answer() -> None:
    def cn_for(seg: str) -> str | None:
        _, packet = pk.check(frame(seg).encode().strip())
        assert packet is not None
        return pk.answer_cn(packet)

    assert cn_for(C16.replace("Flag=5", "Flag=4")) is None  # no answer asked
    assert cn_for(C16.replace("CN=2051", "CN=1013")) == "9013"  # a notice
    assert cn_for(C16.replace("CN=2051", "CN=9014")) is None  # never answer a response
    assert cn_for(C16.replace("Flag=5;", "")) is None  # 2005 style, no Flag


def test_landed_line_masks_the_password_and_keeps_a_lying_length() -> None:
    _, packet = pk.check(frame(C16.replace("PW=123456", "PW=VerySecret1")).encode().strip())
    assert packet is not None
    line = pk.landed_line(packet).rstrip(b"\r\n")
    assert b"VerySecret1" not in line and b";PW=******;" in line
    seg = line[6:-4]
    assert int(line[2:6]) == len(seg) and int(line[-4:], 16) == hj212_crc16(seg)
    # the declared length lied (CRC good): the landed copy keeps the lie for the warehouse
    body = C16.encode()
    lying = b"##%04d%s%04X" % (len(body) + 2, body, hj212_crc16(body))
    _, packet = pk.check(lying)
    assert packet is not None
    assert pk.landed_line(packet)[2:6] == b"%04d" % (len(body) + 2)
