"""A station on an ephemeral port, in a background thread, over a tiny registry in tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dagster_project.hj212.writer import packet
from dagster_project.receiver.access import load_access
from dagster_project.receiver.server import Limits, Station

MN_A, MN_B, MN_2005 = "41088300000000000000000A", "41088300000000000000000B", "88888880000001"
PASSWORDS = {MN_A: "pwA-7f3k", MN_B: "pwB-9q2z", MN_2005: "pw05-x1y"}
T0 = datetime(2024, 3, 1, 8, 0)


@dataclass
class Site:
    sources: Path
    landing: Path
    credentials: Path


def make_site(root: Path, passwords: dict[str, str] | None = None) -> Site:
    passwords = passwords or PASSWORDS
    sources = root / "sources"
    (sources / "registry").mkdir(parents=True)
    rows = ["enterprise_id,outlet_id,mn,outlet_name,source_kind"]
    rows += [f"E1,DA{i:03d},{mn},stack,boiler" for i, mn in enumerate(passwords)]
    (sources / "registry/outlets.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    secrets = root / "secrets"
    secrets.mkdir()
    creds = secrets / "station_credentials.csv"
    creds.write_text("mn,pw\n" + "".join(f"{m},{p}\n" for m, p in passwords.items()))
    return Site(sources, sources / "cems" / "landing", creds)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


class Running:
    def __init__(self, station: Station, loop: asyncio.AbstractEventLoop, out: io.StringIO):
        self.station, self.loop, self.out = station, loop, out

    @property
    def port(self) -> int:
        return self.station.port

    def call(self, fn, *args):
        """Run fn(*args) on the station's loop and return its result; once the station has
        stopped itself (a failing disk) and its loop is closed, on this thread."""
        done = threading.Event()
        box: list = []

        def run() -> None:
            box.append(fn(*args))
            done.set()

        try:
            self.loop.call_soon_threadsafe(run)
        except RuntimeError:  # the loop closed between the check and the call
            if not self.loop.is_closed():
                raise
            return fn(*args)
        if not done.wait(5) and self.loop.is_closed():
            return fn(*args)
        assert done.is_set()
        return box[0]


@contextmanager
def running_station(site: Site, limits: Limits | None = None, **kw) -> Iterator[Running]:
    out = io.StringIO()
    ready = threading.Event()
    holder: dict = {}

    def main() -> None:
        async def go() -> None:
            station = Station(
                site.landing,
                load_access(site.sources, site.credentials),
                limits,
                status_out=out,
                **kw,
            )
            await station.start("127.0.0.1", 0, "127.0.0.1", 0)
            holder["run"] = Running(station, asyncio.get_running_loop(), out)
            ready.set()
            await station.wait_stopped()

        asyncio.run(go())

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(10), "station did not start"
    run = holder["run"]
    try:
        yield run
    finally:
        with contextlib.suppress(RuntimeError):  # closed already: the station stopped itself
            run.loop.call_soon_threadsafe(run.station.stop)
        thread.join(20)
        assert not thread.is_alive()


class Client:
    """A blocking test logger."""

    def __init__(self, port: int, rcvbuf: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # before connect, so the window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        self._buf = b""

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def answer(self, timeout: float = 5.0) -> bytes | None:
        """The next answer line, or None when the station closed the connection."""
        self.sock.settimeout(timeout)
        while b"\r\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def no_answer(self, wait: float = 0.3) -> bool:
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return True
        self._buf += chunk
        return False

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self._buf += chunk
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def minute_packet(mn: str, i: int, *, flag: int | None = 5, qn: bool = True, pw: str | None = None):
    """Minute data for minute i (CN 2051), 2017-style by default."""
    t = T0 + timedelta(minutes=i)
    return packet(
        qn=f"{t:%Y%m%d%H%M%S}{i % 1000:03d}" if qn else None,
        st="31",
        cn="2051",
        mn=mn,
        pw=PASSWORDS.get(mn, "000000") if pw is None else pw,
        flag=flag,
        data_time=t,
        items=[
            ("a21026", {"Avg": f"{10 + i % 7:.1f}", "Flag": "N"}),
            ("a19001", {"Avg": "9.5", "Flag": "N"}),
        ],
    )


def qn_of(line: bytes) -> str | None:
    for part in line.split(b";"):
        if b"QN=" in part:
            return part.split(b"QN=", 1)[1].decode()
    return None


def wait_until(cond, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()
