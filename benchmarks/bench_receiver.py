"""Load test of the receiving station (`lantian receive`) with a simulated fleet of data loggers.

A fleet of N loggers (asyncio clients in this process) connects to a station started as its own
process (`lantian receive`, pinned to CPU 0 when the machine has 2+ CPUs; this load generator
pins itself to CPU 1). Each logger sends minute data (CN 2051) at accelerated time, one packet
after the previous one's answer, at a paced rate; the mix:

  * 2017 loggers (Flag=5: answer requested), with their QN;
  * 2005-style loggers (Flag=1, no QN: answered by order);
  * loggers with a wrong password (turned away with 9011 QnRtn=3, they retry every second);
  * loggers that put garbage between their packets;
  * loggers that drop the connection in the middle of a packet now and then, then reconnect.

It counts sent, answered (acknowledged), rejected and, after the station has been stopped
(SIGTERM: the open hour is closed), landed: every acknowledged packet must be in a closed landing
file exactly once, keyed by (MN, DataTime). Answer latency (send to answer) p50/p99.

Baseline, measured in the same run with the same fleet and pinning: a bare asyncio server that
frames lines and answers every packet at once (no checks, no landing, no fsync). The ratios
station / baseline say what checking and durable landing cost on top of asyncio itself.

    uv run python benchmarks/bench_receiver.py [--loggers 1000] [--rate 5500] [--seconds 30]
        [--no-pin] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from dagster_project.hj212.writer import frame

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "bench_receiver_results.txt"
KINDS = (  # (kind, share of the fleet)
    ("v2017", 0.80),
    ("v2005", 0.08),
    ("garbage", 0.05),
    ("dropper", 0.04),
    ("wrong_pw", 0.03),
)
T0 = datetime(2024, 3, 1)
POLLUTANTS = ("a34013", "a21026", "a21002", "a19001", "a01012", "a01013", "a01014", "a00000")
_DT = re.compile(rb"DataTime=(\d{14})")
_MN = re.compile(rb"[;,]MN=([^;,]*)")


def mn_of(k: int) -> str:
    return f"41088300{k:016X}"


def minute_packets(mn: str, pw: str, version: str, rng: random.Random):
    """A logger's minute packets (i = 0, 1, ...): values drawn once per logger, so building a
    packet costs its QN, DataTime and CRC only (the generator must not be the bottleneck)."""
    values = []
    for code in POLLUTANTS:
        v = rng.uniform(1, 90)
        values.append(
            f"{code}-Min={v * 0.9:.3f},{code}-Avg={v:.3f},{code}-Max={v * 1.1:.3f},{code}-Flag=N"
        )
    cp = ";".join(values)
    if version == "2005":
        head = f"ST=31;CN=2051;PW={pw};MN={mn};Flag=1;CP=&&DataTime="
    else:
        head = f"ST=31;CN=2051;PW={pw};MN={mn};Flag=5;CP=&&DataTime="

    def build(i: int) -> bytes:
        t = T0 + timedelta(minutes=i)
        stamp = f"{t:%Y%m%d%H%M%S}"
        qn = "" if version == "2005" else f"QN={stamp}{i % 1000:03d};"
        return frame(f"{qn}{head}{stamp};{cp}&&").encode()

    return build


# -- the load generator ----------------------------------------------------------------------------
@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    rejected_answers: int = 0
    broken: int = 0  # connections lost unexpectedly
    dropped_mid_packet: int = 0
    latencies: list[float] = field(default_factory=list)
    answered_keys: list[tuple[bytes, bytes]] = field(default_factory=list)


class _Lines(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = b""
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (i := self.buf.find(b"\r\n")) >= 0:
            self.queue.put_nowait(self.buf[: i + 2])
            self.buf = self.buf[i + 2 :]

    def connection_lost(self, exc: Exception | None) -> None:
        self.queue.put_nowait(None)


async def _connect(port: int) -> _Lines:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(_Lines, "127.0.0.1", port)
    proto.transport = cast(asyncio.Transport, transport)
    return proto


async def logger(
    k: int, kind: str, pw: str, port: int, interval: float, stop: float, tally: Tally
) -> None:
    rng = random.Random(k)
    mn = mn_of(k)
    version = "2005" if kind == "v2005" else "2017"
    await asyncio.sleep(rng.uniform(0, min(interval, 2.0)))
    conn: _Lines | None = None
    build = minute_packets(mn, "wrong!" if kind == "wrong_pw" else pw, version, rng)
    i = 0
    next_at = time.monotonic()
    while time.monotonic() < stop:
        try:
            if conn is None:
                conn = await _connect(port)
            pkt = build(i)
            assert conn.transport is not None
            if kind == "dropper" and i % 50 == 49:
                conn.transport.write(pkt[: len(pkt) // 2])
                conn.transport.close()
                tally.dropped_mid_packet += 1
                conn = None
                i += 1
                continue
            if kind == "garbage":
                conn.transport.write(b"\x00\xff junk ## not a packet\r\n")
            t = time.monotonic()
            conn.transport.write(pkt)
            tally.sent += 1
            answer = await asyncio.wait_for(conn.queue.get(), 30)
            if answer is None:
                raise ConnectionError
            if b"CN=9011" in answer:
                tally.rejected_answers += 1
                conn.transport.close()
                conn = None
                await asyncio.sleep(1.0)
                continue
            tally.latencies.append(time.monotonic() - t)
            tally.answered += 1
            tally.answered_keys.append((mn.encode(), _DT.search(pkt).group(1)))  # type: ignore[union-attr]
            i += 1
        except (OSError, ConnectionError, TimeoutError):
            tally.broken += 1
            conn = None
            await asyncio.sleep(0.2)
            continue
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            next_at = time.monotonic()
    if conn is not None and conn.transport is not None:
        conn.transport.close()


def fleet(n: int) -> list[str]:
    kinds: list[str] = []
    for kind, share in KINDS:
        kinds += [kind] * round(n * share)
    kinds = (kinds + ["v2017"] * n)[:n]
    random.Random(7).shuffle(kinds)
    return kinds


async def run_fleet(port: int, kinds: list[str], rate: float, seconds: float) -> Tally:
    tally = Tally()
    senders = sum(1 for k in kinds if k != "wrong_pw")
    interval = senders / rate
    stop = time.monotonic() + seconds
    await asyncio.gather(
        *(
            logger(k, kind, f"pw{k:05d}", port, interval, stop, tally)
            for k, kind in enumerate(kinds)
        )
    )
    return tally


# -- the baseline server ---------------------------------------------------------------------------
class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (i := self.buf.find(b"\n")) >= 0:
            line, self.buf = self.buf[:i], self.buf[i + 1 :]
            if line.startswith(b"##"):
                self.transport.write(b"##0040QN=0;ST=91;CN=9014;PW=;MN=;Flag=4;CP=&&&&0000\r\n")


async def serve_baseline(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Echo, "127.0.0.1", port, backlog=4096)
    print(f"baseline listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


# -- orchestration ---------------------------------------------------------------------------------
PIN = True


def _pin(cpu: int) -> list[str]:
    if PIN and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def _start(cmd: list[str]) -> tuple[subprocess.Popen, int, int | None]:
    """Start a server; (process, port, health port) from its start-up line."""
    proc = subprocess.Popen(
        cmd, cwd=REPO, stderr=subprocess.STDOUT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.search(r"listening on [\d.]+:(\d+)", line):
            health = re.search(r"health on [\d.]+:(\d+)", line)
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
            return proc, int(m.group(1)), int(health.group(1)) if health else None
    raise RuntimeError(f"server did not start (exit {proc.wait()})")


def _site(root: Path, n: int) -> tuple[Path, Path, Path]:
    sources = root / "sources"
    (sources / "registry").mkdir(parents=True)
    rows = ["enterprise_id,outlet_id,mn,outlet_name,source_kind"]
    rows += [f"E{k // 3:04d},DA{k % 3 + 1:03d},{mn_of(k)},stack,boiler" for k in range(n)]
    (sources / "registry/outlets.csv").write_text("\n".join(rows) + "\n")
    creds = root / "secrets" / "credentials.csv"
    creds.parent.mkdir()
    creds.write_text("mn,pw\n" + "".join(f"{mn_of(k)},pw{k:05d}\n" for k in range(n)))
    return sources, sources / "cems" / "landing", creds


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_baseline(args: argparse.Namespace, kinds: list[str], run) -> dict:
    cmd = [*_pin(0), sys.executable, __file__, "--serve-baseline"]
    proc, port, _ = _start(cmd)
    good = [k if k in ("v2017", "v2005") else "v2017" for k in kinds]
    cpu0, gen0 = _child_cpu(), _self_cpu()
    t = time.monotonic()
    tally = run(run_fleet(port, good, args.rate, args.seconds))
    elapsed = time.monotonic() - t
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    return {
        "answered": tally.answered,
        "answered_per_s": tally.answered / elapsed,
        "p50_ms": 1000 * _percentile(tally.latencies, 0.50),
        "p99_ms": 1000 * _percentile(tally.latencies, 0.99),
        "server_cpu_s": _child_cpu() - cpu0,
        "generator_cpu_s": _self_cpu() - gen0,
    }


def run_station(args: argparse.Namespace, kinds: list[str], root: Path, run) -> dict:
    sources, landing, creds = _site(root, len(kinds))
    cmd = [*_pin(0), sys.executable, "-m", "dagster_project.cli", "receive", "--port", "0"]
    cmd += ["--landing", str(landing), "--sources", str(sources), "--credentials", str(creds)]
    cmd += ["--healthz-port", "0", "--status-every", "10"]
    proc, port, health_port = _start(cmd)
    cpu0, gen0 = _child_cpu(), _self_cpu()
    t = time.monotonic()
    tally = run(run_fleet(port, kinds, args.rate, args.seconds))
    elapsed = time.monotonic() - t
    health = _health(health_port)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, "the station did not stop cleanly"
    landed: dict[tuple[bytes, bytes], int] = {}
    lines = 0
    for path in landing.glob("*/*.log"):
        for line in path.read_bytes().splitlines():
            key = (_MN.search(line).group(1), _DT.search(line).group(1))  # type: ignore[union-attr]
            landed[key] = landed.get(key, 0) + 1
            lines += 1
    open_files = list(landing.rglob("*.part"))
    acked = tally.answered_keys
    return {
        "answered_per_s": tally.answered / elapsed,
        "p50_ms": 1000 * _percentile(tally.latencies, 0.50),
        "p99_ms": 1000 * _percentile(tally.latencies, 0.99),
        "server_cpu_s": _child_cpu() - cpu0,
        "generator_cpu_s": _self_cpu() - gen0,
        "sent": tally.sent,
        "answered": tally.answered,
        "rejected_answers": tally.rejected_answers,
        "dropped_mid_packet": tally.dropped_mid_packet,
        "broken": tally.broken,
        "landed": lines,
        "station_rejected": health.get("rejected", {}),
        "station_closed": health.get("closed", {}),
        "commit_batches": health.get("commit_batches"),
        "acked_exactly_once": all(landed.get(k) == 1 for k in acked)
        and len(set(acked)) == len(acked),
        "acked_missing": sum(1 for k in acked if k not in landed),
        "open_files_left": len(open_files),
    }


def _health(port: int | None) -> dict:
    """The station's counters from its /healthz."""
    if port is None:
        return {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
        return json.loads(resp.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loggers", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=5500.0, help="target packets/s, whole fleet")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--no-pin", action="store_true", help="let the scheduler place both")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_baseline:
        asyncio.run(serve_baseline(0))
        return
    global PIN
    PIN = not args.no_pin
    if pin := _pin(1):
        os.sched_setaffinity(0, {int(pin[-1])})
    run = asyncio.run
    kinds = fleet(args.loggers)
    with tempfile.TemporaryDirectory(prefix="bench_receiver_") as tmp:
        base = run_baseline(args, kinds, run)
        ours = run_station(args, kinds, Path(tmp), run)
    report = _render(args, kinds, base, ours)
    print(report)
    if args.record:
        with RESULTS.open("a") as fh:
            fh.write(report + "\n\n")


def _us(side: dict) -> str:
    return f"{1e6 * side['server_cpu_s'] / max(side['answered'], 1):.0f}"


def _render(args: argparse.Namespace, kinds: list[str], base: dict, ours: dict) -> str:
    mix = ", ".join(f"{k} {kinds.count(k)}" for k, _ in KINDS)
    placement = "station on CPU 0, generator on CPU 1" if PIN else "not pinned"
    return "\n".join(
        [
            f"bench_receiver {time.strftime('%Y-%m-%d %H:%M')} (2 CPUs shared, load average "
            f"{os.getloadavg()[0]:.1f}; {placement}): {args.loggers} loggers ({mix}), target "
            f"{args.rate:.0f} packets/s, {args.seconds:.0f} s",
            f"  baseline (bare asyncio answer, no checks, no landing): "
            f"{base['answered_per_s']:.0f} answered/s, p50 {base['p50_ms']:.1f} ms, "
            f"p99 {base['p99_ms']:.1f} ms; CPU s: server {base['server_cpu_s']:.1f}, "
            f"generator {base['generator_cpu_s']:.1f}",
            f"  station: {ours['answered_per_s']:.0f} answered/s, p50 {ours['p50_ms']:.1f} ms, "
            f"p99 {ours['p99_ms']:.1f} ms; CPU s: server {ours['server_cpu_s']:.1f}, "
            f"generator {ours['generator_cpu_s']:.1f}; {ours['commit_batches']} group commits",
            f"  CPU per answered packet: station {_us(ours)} us, baseline server {_us(base)} us, "
            f"generator {1e6 * ours['generator_cpu_s'] / max(ours['answered'], 1):.0f} us",
            f"  ratio station/baseline: throughput "
            f"{ours['answered_per_s'] / base['answered_per_s']:.2f}, p99 "
            f"{ours['p99_ms'] / base['p99_ms']:.1f}x",
            f"  sent {ours['sent']}, acknowledged {ours['answered']}, landed {ours['landed']}, "
            f"turned away {ours['rejected_answers']}, dropped mid-packet "
            f"{ours['dropped_mid_packet']}, broken connections {ours['broken']}",
            f"  station rejects {ours['station_rejected']}, closes {ours['station_closed']}",
            f"  every acknowledged packet in a closed file exactly once: "
            f"{ours['acked_exactly_once']} (missing {ours['acked_missing']}, open files left "
            f"{ours['open_files_left']})",
        ]
    )


if __name__ == "__main__":
    main()
