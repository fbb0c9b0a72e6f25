"""The receiving station: an asyncio TCP server that data loggers connect to.

One `LoggerConnection` (an `asyncio.Protocol`) per logger: it frames the stream, checks every
record, turns away unknown MNs and wrong passwords, and queues usable packets for landing. The
station's committer lands everything queued since its last commit in one group commit (a
single journal fsync, see `landing.py`) on its I/O thread, then writes the answers. So an
answer never leaves before its packet is durable, and a slow disk delays answers without
blocking the event loop.

A slow or hostile client cannot hold others up: each connection has byte and packet token
buckets (reading pauses until they refill), reading also pauses while the client leaves our
answers unread (transport write buffer above its high-water mark), a line longer than any
packet closes the connection (`oversize`), and a connection without a usable packet for
`idle_timeout` seconds is closed (`idle`), garbage or not.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

from dagster_project.receiver import packet as pk
from dagster_project.receiver.access import Access
from dagster_project.receiver.framer import Framer
from dagster_project.receiver.landing import LandingStore, Recovery
from dagster_project.receiver.stats import Stats


@dataclass
class Limits:
    idle_timeout: float = 300.0  # s without a usable packet
    max_connections: int = 5000
    bytes_per_s: float = 64 * 1024  # a logger sends ~1 KB a minute; a backlog replay more
    bytes_burst: float = 256 * 1024
    packets_per_s: float = 200.0
    packets_burst: float = 1000.0
    write_buffer_high: int = 64 * 1024


class LoggerConnection(asyncio.Protocol):
    def __init__(self, station: Station) -> None:
        self.station = station
        self.transport: asyncio.Transport | None = None
        self.framer = Framer()
        self.in_flight = 0  # packets queued for landing, not yet answered
        self.farewell: bytes | None = None  # the rejection to send once in_flight drains
        self.closing = False
        self.last_packet = time.monotonic()
        limits = station.limits
        self._byte_tokens = limits.bytes_burst
        self._packet_tokens = limits.packets_burst
        self._bucket_time = self.last_packet
        self._throttled = False
        self._write_paused = False

    # -- asyncio callbacks ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        st = self.station
        if len(st.connections) >= st.limits.max_connections:
            st.stats.closed["too_many_connections"] += 1
            transport.abort()
            self.closing = True
            return
        transport.set_write_buffer_limits(high=st.limits.write_buffer_high)
        st.connections.add(self)
        st.stats.connections_open += 1
        st.stats.connections_total += 1

    def connection_lost(self, exc: Exception | None) -> None:
        st = self.station
        if self in st.connections:
            st.connections.discard(self)
            st.stats.connections_open -= 1
        self.closing = True

    def pause_writing(self) -> None:
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._update_reading()

    def data_received(self, data: bytes) -> None:
        if self.closing or self.farewell is not None:
            return
        stats = self.station.stats
        cut = self.framer.feed(data)
        stats.garbage_bytes += cut.garbage
        for record in cut.records:
            stats.records += 1
            self._handle(record)
            if self.farewell is not None:
                return
        if cut.oversize:
            stats.reject("oversize")
            self.leave(None, "oversize")
            return
        self._charge(len(data), len(cut.records))

    # -- packets --------------------------------------------------------------------------------
    def _handle(self, record: bytes) -> None:
        st = self.station
        reason, packet = pk.check(record)
        if packet is None:
            st.stats.reject(reason or "bad_header")
            return
        self.last_packet = time.monotonic()
        refused = st.access.verify(packet.mn, packet.pw)
        if refused is not None:
            st.stats.reject(refused)
            code = pk.QNRTN_MN_ERROR if refused == "unknown_mn" else pk.QNRTN_PW_ERROR
            self.leave(pk.rejection(packet, code), refused)
            return
        cn = pk.answer_cn(packet)
        answer = pk.reply(packet, cn) if cn else None
        self.in_flight += 1
        st.enqueue(self, packet.mn, pk.landed_line(packet), answer)

    def landed(self, answer: bytes | None) -> None:
        """Called by the committer once this connection's packet is durable."""
        self.in_flight -= 1
        transport = self.transport
        if answer is not None and transport is not None and not transport.is_closing():
            transport.write(answer)
            self.station.stats.answered += 1
        if self.in_flight == 0 and self.farewell is not None:
            self._say_goodbye()

    def leave(self, farewell: bytes | None, why: str) -> None:
        """Stop reading; once every queued packet is answered, send `farewell` and close."""
        self.station.stats.closed[why] += 1
        self.farewell = farewell or b""
        if self.transport is not None:
            self.transport.pause_reading()
        if self.in_flight == 0:
            self._say_goodbye()

    def _say_goodbye(self) -> None:
        transport = self.transport
        self.closing = True
        if transport is None or transport.is_closing():
            return
        if self.farewell:
            transport.write(self.farewell)
            self.station.stats.answered += 1
        transport.close()

    # -- rate limits ----------------------------------------------------------------------------
    def _charge(self, nbytes: int, npackets: int) -> None:
        limits = self.station.limits
        now = time.monotonic()
        elapsed = now - self._bucket_time
        self._bucket_time = now
        self._byte_tokens = (
            min(limits.bytes_burst, self._byte_tokens + elapsed * limits.bytes_per_s) - nbytes
        )
        self._packet_tokens = (
            min(limits.packets_burst, self._packet_tokens + elapsed * limits.packets_per_s)
            - npackets
        )
        wait = max(
            -self._byte_tokens / limits.bytes_per_s, -self._packet_tokens / limits.packets_per_s
        )
        if wait > 0 and not self._throttled:
            self._throttled = True
            self.station.stats.throttled += 1
            self._update_reading()
            asyncio.get_running_loop().call_later(wait, self._refilled)

    def _refilled(self) -> None:
        self._throttled = False
        self._charge(0, 0)
        self._update_reading()

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() or self.farewell is not None:
            return
        if self._throttled or self._write_paused:
            transport.pause_reading()
        else:
            transport.resume_reading()


@dataclass
class _Queued:
    conn: LoggerConnection
    mn: str
    line: bytes
    answer: bytes | None


class Station:
    """The server, its committer, idle sweeper, status line and health endpoint."""

    def __init__(
        self,
        landing: Path,
        access: Access,
        limits: Limits | None = None,
        status_every: float = 60.0,
        status_out: TextIO | None = None,
    ) -> None:
        self.landing = landing
        self.access = access
        self.limits = limits or Limits()
        self.status_every = status_every
        self.status_out = status_out or sys.stderr
        self.stats = Stats()
        self.store = LandingStore(landing)
        self.connections: set[LoggerConnection] = set()
        self.failed: str | None = None
        self.recovery = Recovery()
        self.port = 0
        self.health_port = 0
        self._queue: list[_Queued] = []
        self._wake = asyncio.Event()
        self._io = ThreadPoolExecutor(1, thread_name_prefix="landing-io")
        self._stopping = asyncio.Event()
        self._servers: list[asyncio.Server] = []
        self._tasks: list[asyncio.Task[None]] = []

    def enqueue(self, conn: LoggerConnection, mn: str, line: bytes, answer: bytes | None) -> None:
        self._queue.append(_Queued(conn, mn, line, answer))
        self._wake.set()

    def log(self, text: str) -> None:
        print(text, file=self.status_out, flush=True)

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self, host: str, port: int, health_host: str, health_port: int | None) -> None:
        loop = asyncio.get_running_loop()
        self.recovery = await loop.run_in_executor(self._io, self.store.open)
        server = await loop.create_server(
            lambda: LoggerConnection(self), host, port, reuse_address=True, backlog=4096
        )
        self._servers.append(server)
        self.port = server.sockets[0].getsockname()[1]
        if health_port is not None:
            health = await asyncio.start_server(self._healthz, health_host, health_port)
            self._servers.append(health)
            self.health_port = health.sockets[0].getsockname()[1]
        self._tasks = [
            asyncio.create_task(self._committer()),
            asyncio.create_task(self._sweeper()),
            asyncio.create_task(self._status()),
        ]

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def wait_stopped(self) -> None:
        """Run until `stop()` (or a landing failure); then stop taking data, land and answer
        what was queued, close the connections and the open files."""
        await self._stopping.wait()
        for server in self._servers:
            server.close()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.pause_reading()
        committer = self._tasks[0]
        await committer  # drains the queue before it returns
        for task in self._tasks[1:]:
            task.cancel()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._io, self.store.close)
        self._io.shutdown()
        self.log(self.stats.status_line())

    # -- tasks ----------------------------------------------------------------------------------
    async def _committer(self) -> None:
        loop = asyncio.get_running_loop()
        store, stats = self.store, self.stats
        while True:
            if not self._queue:
                if self._stopping.is_set():
                    return
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), 1.0)
                except TimeoutError:
                    await loop.run_in_executor(self._io, store.tick, time.time())
                continue
            batch, self._queue = self._queue, []
            try:
                await loop.run_in_executor(
                    self._io, store.commit, [(q.mn, q.line) for q in batch], time.time()
                )
            except Exception as exc:  # the disk failed us: answer nothing more, stop
                self.failed = f"landing failed: {type(exc).__name__}: {exc}"
                self.log(self.failed)
                self._stopping.set()
                for q in batch:
                    if q.conn.transport is not None:
                        q.conn.transport.abort()
                self._queue.clear()
                return
            stats.last_commit = time.time()
            stats.commit_batches += 1
            stats.landed += len(batch)
            for q in batch:
                q.conn.landed(q.answer)

    async def _sweeper(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.limits.idle_timeout / 4))
            cutoff = time.monotonic() - self.limits.idle_timeout
            for conn in [c for c in self.connections if c.last_packet < cutoff]:
                if conn.farewell is None:
                    conn.leave(None, "idle")

    async def _status(self) -> None:
        while True:
            await asyncio.sleep(self.status_every)
            self.log(self.stats.status_line())

    async def _healthz(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readline(), 5.0)
            ok, doc = self.stats.health(time.time(), len(self._queue), self.failed)
            body = json.dumps(doc).encode()
            head = (
                f"HTTP/1.1 {'200 OK' if ok else '503 Service Unavailable'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            writer.write(head + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(
    station: Station,
    host: str,
    port: int,
    health_host: str = "127.0.0.1",
    health_port: int | None = None,
) -> int:
    """Run until SIGTERM/SIGINT; 0 on a clean stop, 1 when landing failed."""
    import signal

    await station.start(host, port, health_host, health_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, station.stop)
    r = station.recovery
    station.log(
        f"station listening on {host}:{station.port} (pid {os.getpid()}), health on "
        f"{health_host}:{station.health_port or '-'}; landing {station.landing}; "
        f"{len(station.access.registered)} registered MNs; recovered {r.packets} packets "
        f"from {r.journals} journals, {r.files_closed} files closed"
    )
    await station.wait_stopped()
    return 1 if station.failed else 0
