"""kill -9 in the middle of a load, restart: no answered packet is lost; a packet sent again
after a lost answer is landed twice and the warehouse counts the second as a duplicate."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from dagster_project.hj212.ingest import ingest_cems
from dagster_project.receiver.landing import landed_lines
from tests.receiver.conftest import (
    MN_A,
    MN_B,
    Client,
    Site,
    minute_packet,
    qn_of,
    running_station,
)

REPO = Path(__file__).resolve().parents[2]


def _start(site: Site) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "dagster_project.cli", "receive", "--port", "0"]
    cmd += ["--landing", str(site.landing), "--sources", str(site.sources)]
    cmd += ["--credentials", str(site.credentials), "--healthz-port", "-1"]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if m := re.search(r"listening on [\d.]+:(\d+)", line):
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, int(m.group(1))
    raise AssertionError(f"station did not start (exit {proc.wait()})")


class Logger(threading.Thread):
    """Sends its packets one by one, each after the previous one's answer; after a broken
    connection it reconnects (to `ports[0]`) and sends the unanswered packet again."""

    def __init__(self, mn: str, first: int, ports: list[int]) -> None:
        super().__init__(daemon=True)
        self.mn, self.i, self.ports = mn, first, ports
        self.answered: list[str] = []
        self.resent: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        client, retry = None, False
        while not self.stop.is_set():
            p = minute_packet(self.mn, self.i)
            try:
                if client is None:
                    client = Client(self.ports[0])
                client.send(p)
                if retry:
                    self.resent.append(qn_of(p.encode()) or "")
                ans = client.answer(timeout=2)
                if ans is None:
                    raise ConnectionError
            except OSError:
                client, retry = None, True
                time.sleep(0.05)
                continue
            assert qn_of(ans) == qn_of(p.encode())
            self.answered.append(qn_of(ans) or "")
            self.i, retry = self.i + 1, False


def test_sigkill_mid_load_loses_no_answered_packet(site: Site, tmp_path: Path) -> None:
    proc, port = _start(site)
    ports = [port]
    loggers = [Logger((MN_A, MN_B)[k % 2], 10_000 * k, ports) for k in range(8)]
    for lg in loggers:
        lg.start()
    time.sleep(1.0)
    answered_before = sum(len(lg.answered) for lg in loggers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc, ports[0] = _start(site)  # recovers the journal, then serves again
    time.sleep(1.0)
    for lg in loggers:
        lg.stop.set()
    for lg in loggers:
        lg.join(10)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert answered_before > 0
    answered = [q for lg in loggers for q in lg.answered]
    landed = [qn_of(line) for _, line in landed_lines(site.landing)]
    assert set(answered) <= set(landed)  # nothing answered is lost
    assert len(answered) == len(set(answered)) > answered_before
    extra = [q for q in set(landed) if landed.count(q) > 1]
    resent = {q for lg in loggers for q in lg.resent}
    assert set(extra) <= resent  # only a packet sent again can be there twice
    assert not list(site.landing.rglob("*.part"))
    assert not list((site.landing / ".station").glob("journal-*"))
    # the warehouse: every landed packet loaded once, the second copies counted as duplicates
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    stats = ingest_cems(con, site.sources / "cems", site.sources, "b1")
    assert stats.rows_read == len(landed)
    assert stats.rows_loaded == len(set(landed))
    assert stats.rows_rejected == stats.duplicates_resolved == len(landed) - len(set(landed))


def test_a_resend_after_a_lost_answer_becomes_a_counted_duplicate(
    site: Site, tmp_path: Path
) -> None:
    with running_station(site) as run:
        c = Client(run.port)
        p = minute_packet(MN_A, 0)
        c.send(p)
        assert c.answer() is not None  # ...lost on the way, so the logger sends it again
        c.send(p)
        assert c.answer() is not None
    assert len(list(landed_lines(site.landing))) == 2
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    stats = ingest_cems(con, site.sources / "cems", site.sources, "b1")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (2, 1, 1)
    reasons = con.execute("select reason from audit.rejected_records").fetchall()
    assert reasons == [("duplicate",)]
