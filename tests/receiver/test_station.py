"""The station over real TCP: answers, access control, hostile clients, durability order."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from dagster_project.hj212.parse import parse_files
from dagster_project.receiver.landing import landed_lines
from dagster_project.receiver.server import Limits
from tests.receiver.conftest import (
    MN_2005,
    MN_A,
    MN_B,
    PASSWORDS,
    Client,
    Site,
    make_site,
    minute_packet,
    qn_of,
    running_station,
    wait_until,
)


def _all_files_text(root: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    )


def test_data_packets_are_landed_then_answered_with_their_qn(site: Site) -> None:
    with running_station(site) as run:
        c = Client(run.port)
        sent = [minute_packet(MN_A, i) for i in range(5)]
        for p in sent:
            c.send(p)
            ans = c.answer()
            assert ans is not None
            assert qn_of(ans) == qn_of(p.encode())
            assert b";ST=91;CN=9014;" in ans and b";Flag=4;CP=&&&&" in ans
            # durable before answered: the packet is already in the landing folder
            lines = [line for _, line in landed_lines(site.landing, closed_only=False)]
            assert any(qn_of(line) == qn_of(p.encode()) for line in lines)
        c.close()
    closed = list(landed_lines(site.landing))
    assert [qn_of(line) for _, line in closed] == [qn_of(p.encode()) for p in sent]
    assert not list(site.landing.glob("*/*.part"))
    # landed lines are valid packets for the warehouse's reader, password masked
    result = parse_files([closed[0][0]])
    assert result.counts["packets_valid"] == 5 and result.rejects.height == 0


def test_2005_and_2017_loggers_on_one_port(site: Site) -> None:
    with running_station(site) as run:
        new, old = Client(run.port), Client(run.port)
        new.send(minute_packet(MN_A, 0))
        old.send(minute_packet(MN_2005, 0, flag=None, qn=False))  # no Flag: no answer asked
        old.send(minute_packet(MN_2005, 1, flag=1))  # 2005 version bits, A set
        assert b"CN=9014" in (new.answer() or b"")
        ans = old.answer()
        assert ans is not None and b"CN=9014" in ans and b";Flag=0;" in ans
        assert old.no_answer()
    mns = sorted(p.parent.name for p, _ in landed_lines(site.landing))
    assert mns == [MN_A, MN_2005, MN_2005]


def test_packets_split_across_reads_and_glued_in_one_read(site: Site) -> None:
    with running_station(site) as run:
        c = Client(run.port)
        p = minute_packet(MN_A, 0).encode()
        for i in range(len(p)):  # one byte per send
            c.send(p[i : i + 1])
        assert qn_of(c.answer() or b"") == qn_of(p)
        burst = b"noise\r\n" + b"".join(minute_packet(MN_A, i).encode() for i in range(1, 4))
        c.send(b"xx##" + burst)  # garbage before and between
        assert [qn_of(c.answer() or b"") for _ in range(3)] == [
            qn_of(minute_packet(MN_A, i).encode()) for i in range(1, 4)
        ]
        assert run.call(lambda: run.station.stats.garbage_bytes) > 0


def test_wrong_password_and_unknown_mn_are_answered_closed_counted_never_landed(
    site: Site,
) -> None:
    with running_station(site) as run:
        wrong = Client(run.port)
        wrong.send(minute_packet(MN_B, 0, pw="guess!"))
        ans = wrong.answer()
        assert ans is not None and b"CN=9011" in ans and b"QnRtn=3" in ans
        assert wrong.closed_by_peer()
        stranger = Client(run.port)
        stranger.send(minute_packet("41088399999999999999999F", 0, pw="x"))
        ans = stranger.answer()
        assert ans is not None and b"CN=9011" in ans and b"QnRtn=4" in ans
        assert stranger.closed_by_peer()
        # the server goes on serving others
        ok = Client(run.port)
        ok.send(minute_packet(MN_A, 0))
        assert b"CN=9014" in (ok.answer() or b"")
        rejected = run.call(lambda: dict(run.station.stats.rejected))
    assert rejected == {"wrong_pw": 1, "unknown_mn": 1}
    assert [p.parent.name for p, _ in landed_lines(site.landing)] == [MN_A]


def test_hostile_input_never_stops_the_server(site: Site) -> None:
    limits = Limits(idle_timeout=0.5)
    with running_station(site, limits) as run:
        oversize = Client(run.port)
        oversize.send(b"##9999" + b"A" * 20000)  # longer than any packet, no line end
        assert oversize.closed_by_peer()
        garbage = Client(run.port)
        garbage.send(bytes(range(256)) * 4 + b"\r\n" + b"##0010garbage!!\r\n")
        bad_crc = Client(run.port)
        bad_crc.send(minute_packet(MN_A, 1)[:-6] + "0000\r\n")  # CRC error: no answer
        assert bad_crc.no_answer()
        dropper = Client(run.port)
        dropper.send(minute_packet(MN_A, 2)[:40])  # drops mid-packet
        dropper.close()
        silent = Client(run.port)  # connects and says nothing: closed when idle
        assert silent.closed_by_peer(timeout=5)
        assert garbage.closed_by_peer(timeout=5)  # garbage only: idle too
        ok = Client(run.port)
        ok.send(minute_packet(MN_A, 3))
        assert b"CN=9014" in (ok.answer() or b"")
        stats = run.call(lambda: (dict(run.station.stats.rejected), dict(run.station.stats.closed)))
    rejected, closed = stats
    assert rejected["oversize"] == 1 and rejected["crc_mismatch"] == 1
    assert rejected["truncated"] == 1 and closed["idle"] >= 2  # `##0010garbage!!`
    assert [qn_of(line) for _, line in landed_lines(site.landing)] == [
        qn_of(minute_packet(MN_A, 3).encode())
    ]


def test_a_client_that_never_reads_does_not_block_others(site: Site) -> None:
    limits = Limits(write_buffer_high=4096, packets_per_s=1e7, packets_burst=1e7)
    limits.bytes_per_s = limits.bytes_burst = 1e10
    flood = 150_000  # its answers (~13 MB) overflow every kernel buffer on the way back
    with running_station(site, limits) as run:
        greedy = Client(run.port, rcvbuf=4096)
        greedy.sock.settimeout(None)
        block = minute_packet(MN_B, 0).encode() * flood

        def send_flood() -> None:
            with contextlib.suppress(OSError):
                greedy.send(block)

        flooding = threading.Thread(target=send_flood, daemon=True)
        flooding.start()
        time.sleep(1)
        ok = Client(run.port)
        for i in range(20):  # served, if later than usual: rate limits are off here
            ok.send(minute_packet(MN_A, i))
            assert b"CN=9014" in (ok.answer(timeout=15) or b"")
        # once the unread answers fill the buffers, reading from the greedy client pauses:
        # the count of records taken settles well short of the flood
        seen, end = -1, time.monotonic() + 30
        while time.monotonic() < end:
            now = run.call(lambda: run.station.stats.records)
            if now == seen:
                break
            seen = now
            time.sleep(0.5)
        assert seen < flood // 2
        assert flooding.is_alive()  # its send is stuck: the station no longer reads it
        greedy.sock.shutdown(socket.SHUT_RDWR)


def test_rate_limit_throttles_a_flooding_client(site: Site) -> None:
    limits = Limits(packets_per_s=50, packets_burst=10)
    with running_station(site, limits) as run:
        c = Client(run.port)
        c.send(b"".join(minute_packet(MN_A, i).encode() for i in range(40)))
        answers = [c.answer() for _ in range(40)]
        assert all(a is not None and b"CN=9014" in a for a in answers)
        assert run.call(lambda: run.station.stats.throttled) >= 1


def test_the_password_is_in_no_file_and_no_status_line(tmp_path: Path) -> None:
    secret = {MN_A: "Zq9-UNIQUE-SECRET-1", MN_B: "Zq9-UNIQUE-SECRET-2"}
    site = make_site(tmp_path, secret)
    with running_station(site, status_every=0.05) as run:
        c = Client(run.port)
        for i in range(3):
            c.send(minute_packet(MN_A, i, pw=secret[MN_A]))
            assert c.answer() is not None
        bad = Client(run.port)
        bad.send(minute_packet(MN_B, 0, pw="Zq9-UNIQUE-SECRET-1"))
        assert bad.closed_by_peer()
        assert wait_until(lambda: "wrong_pw=1" in run.out.getvalue())
        status = run.out.getvalue()
    assert "UNIQUE-SECRET" not in _all_files_text(site.landing)
    assert "UNIQUE-SECRET" not in status and "station:" in status
    assert len(list(landed_lines(site.landing))) == 3


def test_healthz_reports_counts(site: Site) -> None:
    with running_station(site) as run:
        c = Client(run.port)
        c.send(minute_packet(MN_A, 0))
        assert c.answer() is not None
        url = f"http://127.0.0.1:{run.station.health_port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as resp:
            doc = json.loads(resp.read())
            assert resp.status == 200
        assert doc["status"] == "ok" and doc["landed"] == 1 and doc["connections"] == 1
        run.call(lambda: setattr(run.station, "failed", "landing failed: test"))
        try:
            urllib.request.urlopen(url, timeout=5)
            raise AssertionError("expected 503")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503


def test_many_loggers_at_once_each_answered_and_landed_once(site: Site) -> None:
    with running_station(site) as run:
        clients = [Client(run.port) for _ in range(30)]
        for rnd in range(5):
            for k, c in enumerate(clients):
                mn = (MN_A, MN_B)[k % 2]
                c.send(minute_packet(mn, 100 * k + rnd))
            for c in clients:
                assert b"CN=9014" in (c.answer() or b"")
        batches = run.call(lambda: run.station.stats.commit_batches)
    qns = [qn_of(line) for _, line in landed_lines(site.landing)]
    assert len(qns) == 150 == len(set(qns))
    assert batches < 150  # group commit: one fsync covered several packets
    assert PASSWORDS[MN_A] not in _all_files_text(site.landing)


def test_a_failing_disk_answers_nothing_and_stops_the_station(site: Site, monkeypatch) -> None:
    from dagster_project.receiver.landing import LandingStore

    def broken(self, records, now) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LandingStore, "commit", broken)
    with running_station(site) as run:
        c = Client(run.port)
        c.send(minute_packet(MN_A, 0))
        assert c.answer() is None  # closed without an answer: the logger will send it again
        assert wait_until(lambda: run.call(lambda: run.station.failed) is not None)
        assert "No space left" in run.out.getvalue()
