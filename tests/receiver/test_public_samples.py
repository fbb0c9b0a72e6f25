"""The 40 public sample packets, sent to the station over TCP, are answered as HJ 212-2017
says: a data response (9014) with the packet's QN when its Flag asks for one, a notice response
(9013) for a notice, nothing for responses, for packets that ask for nothing and for packets
whose CRC fails (which are never landed either)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from dagster_project.hj212.crc import hj212_crc16
from dagster_project.receiver.landing import landed_lines
from tests.hj212.conftest import Sample, load_samples, mn_of
from tests.receiver.conftest import Client, make_site, minute_packet, running_station

SAMPLES = load_samples()
SENTINEL = "SENTINEL0000000000000001"


def _field(packet: str, name: str) -> str | None:
    m = re.search(rf"(?:##\d{{4}}|[;,])(?i:{name})=([^;,]*)", packet.split("CP=&&")[0])
    return m.group(1) if m else None


def _expected_answer(packet: str) -> bytes | None:
    """Written from the standard's Appendix C examples, independently of the station's code."""
    flag, cn = _field(packet, "Flag"), _field(packet, "CN")
    if flag is None or not int(flag) & 1 or cn in ("9011", "9012", "9013", "9014"):
        return None
    head = [f"QN={q}"] if (q := _field(packet, "QN")) is not None else []
    head += ["ST=91", f"CN={'9013' if cn == '1013' else '9014'}"]
    head += [f"PW={_field(packet, 'PW')}", f"MN={mn_of(packet)}", f"Flag={int(flag) & ~3}"]
    seg = (";".join(head) + ";CP=&&&&").encode()
    return b"##%04d%s%04X\r\n" % (len(seg), seg, hj212_crc16(seg))


def _rounds() -> list[list[Sample]]:
    """Some MNs come with two passwords (from different code bases): a station registers one
    password per MN, so the samples go to two stations, the first password of each MN first."""
    first: dict[str, str | None] = {}
    rounds: list[list[Sample]] = [[], []]
    for s in SAMPLES:
        pw = first.setdefault(mn_of(s.packet), _field(s.packet, "PW"))
        rounds[0 if _field(s.packet, "PW") == pw else 1].append(s)
    return rounds


def _send_round(samples: list[Sample], root: Path) -> tuple[list[bytes | None], list, dict]:
    passwords = {mn_of(s.packet): _field(s.packet, "PW") or "" for s in samples}
    passwords[SENTINEL] = "sentinel"
    site = make_site(root, passwords)
    n_answers = sum(1 for s in samples if s.expected == "valid" and _expected_answer(s.packet))
    with running_station(site) as run:
        c = Client(run.port)
        for s in samples:
            c.send(s.packet + "\r\n")
        got = [c.answer() for _ in range(n_answers)]
        # nothing else was answered: the next answer is the sentinel's
        c.send(minute_packet(SENTINEL, 0, pw="sentinel"))
        assert b"MN=" + SENTINEL.encode() in (c.answer() or b"")
        rejected = run.call(lambda: dict(run.station.stats.rejected))
    landed = [line for _, line in landed_lines(site.landing)]
    return got, landed, rejected


def test_public_samples_are_answered_as_the_standard_says(tmp_path: Path) -> None:
    rounds = _rounds()
    assert [len(r) for r in rounds] == [35, 5]
    got, landed, rejected = [], [], Counter()
    for k, samples in enumerate(rounds):
        g, la, rej = _send_round(samples, tmp_path / f"round{k}")
        got += g
        landed += la
        rejected.update(rej)
    ordered = rounds[0] + rounds[1]
    expected = [a for s in ordered if s.expected == "valid" and (a := _expected_answer(s.packet))]
    assert len(expected) == 8  # Flag with bit A on a packet that is not itself a response
    assert got == expected
    assert sum(s.expected == "valid" for s in SAMPLES) + 2 == len(landed)  # + 2 sentinels
    assert rejected == {"crc_modbus_le": 3, "crc_mismatch": 3, "length_mismatch": 1}
    for line in landed:  # each landed line carries a valid CRC and no password
        seg = line[6:-4]
        assert int(line[-4:], 16) == hj212_crc16(seg) and b";PW=******;" in seg


def test_a_sample_with_another_password_is_turned_away(tmp_path: Path) -> None:
    first, second = _rounds()
    intruder = next(s for s in second if s.expected == "valid" and "QN=" not in s.packet)
    site = make_site(tmp_path, {mn_of(s.packet): _field(s.packet, "PW") or "" for s in first})
    with running_station(site) as run:
        c = Client(run.port)
        c.send(intruder.packet + "\r\n")
        answer = c.answer()
        assert c.closed_by_peer()
    # the request response with QnRtn=3 (PW error); no QN and no Flag, as none were sent
    assert answer is not None
    assert answer[6:-6] == b"ST=91;CN=9011;PW=123456;MN=LD130133000015;CP=&&QnRtn=3&&"
    assert not list(landed_lines(site.landing))
