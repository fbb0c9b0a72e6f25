"""Write the CEMS packet logs: one file per logger and month, as a receiving platform stores them.

`cems/<township>/<mn>_<yyyymm>.log.gz` (gzip, mtime 0 so bytes are reproducible); the legacy
2005 logger's files are plain `.log`. Lines are in send order; hourly (2061) packets for every
transmitted hour, minute (2051) packets where the truth has minute frames, plus a few
heartbeats (9021), a restart report (2081) after each outage, and two deliberately corrupted
lines (bad CRC, truncated), each followed by the logger's correct re-send.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from dagster_project.generator import packets as pk
from dagster_project.generator.county import TOWNSHIP_SLUGS, County
from dagster_project.generator.physics import Truth


@dataclass(frozen=True)
class CorruptLine:
    file: str  # relative to the sources dir
    line_no: int  # 1-based
    kind: str  # crc_mismatch, truncated


@dataclass
class CemsResult:
    files: dict[str, int]  # relative path -> lines
    hourly_packets: int
    minute_packets: int
    event_packets: int
    corrupted: list[CorruptLine]


def _write_lines(path: Path, lines: list[str], gz: bool, level: int = 9) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(lines).encode("utf-8")
    if gz:
        with (
            path.open("wb") as fh,
            gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=level) as g,
        ):
            g.write(data)
    else:
        path.write_bytes(data)


def write_cems(
    out_dir: Path,
    county: County,
    truth: Truth,
    seed: int,
    *,
    realism: bool = True,
    gzip_level: int = 9,
) -> CemsResult:
    """Serialise `truth` into packet logs under out_dir/cems. With `realism`, add heartbeats,
    restart reports after outages and the two corrupted lines. `gzip_level` trades size for
    speed (a county-year of minute data is tens of GB of text)."""
    rng = random.Random(seed * 13 + 2)
    res = CemsResult(files={}, hourly_packets=0, minute_packets=0, event_packets=0, corrupted=[])
    missing = {e.mn: e for e in truth.events if e.kind == "missing"}
    mns = sorted(truth.outlets)
    legacy = [m for m in mns if truth.outlets[m].outlet.protocol == "2005"]
    modern = [m for m in mns if m not in legacy and not truth.outlets[m].has_minutes]
    corrupt_mn = modern[rng.randrange(len(modern))] if realism and modern else None
    heartbeat_mns = set(rng.sample(mns, k=min(2, len(mns)))) if realism else set()
    t0 = datetime(truth.start.year, truth.start.month, truth.start.day)

    for mn in mns:
        ot = truth.outlets[mn]
        o = ot.outlet
        entries: list[tuple[datetime, int, str]] = []  # (send time, order, line)
        hourly = list(pk.frame_packets(ot.hourly, o, "2061"))
        res.hourly_packets += len(hourly)
        entries += [(t, 1, line) for t, line in hourly]
        minute_frame = ot.minute_frame()
        if minute_frame is not None:
            minute = list(pk.frame_packets(minute_frame, o, "2051"))
            del minute_frame
            res.minute_packets += len(minute)
            entries += [(t, 0, line) for t, line in minute]
        if realism:
            if mn in heartbeat_mns:
                for d in range(min(3, truth.days)):
                    entries.append(
                        (
                            t0 + timedelta(days=d, seconds=30),
                            2,
                            pk.heartbeat(mn, t0 + timedelta(days=d, seconds=30)),
                        )
                    )
                    res.event_packets += 1
            if mn in missing:
                back = missing[mn].end + timedelta(minutes=2, seconds=11)
                entries.append((back, 2, pk.restart(mn, back, back - timedelta(seconds=47))))
                res.event_packets += 1
        entries.sort(key=lambda x: (x[0], x[1]))
        lines = [e[2] for e in entries]
        corrupt_at: dict[int, str] = {}
        if mn == corrupt_mn and len(hourly) > 40:
            # a transmission error and a power cut mid-send; the logger re-sends both packets
            hourly_idx = [i for i, line in enumerate(lines) if ";CN=2061;" in line]
            for kind, i in (
                ("crc_mismatch", hourly_idx[len(hourly_idx) // 3]),
                ("truncated", hourly_idx[2 * len(hourly_idx) // 3]),
            ):
                corrupt_at[i] = kind
        out: list[str] = []
        kinds: list[tuple[int, str]] = []
        for i, line in enumerate(lines):
            if i in corrupt_at:
                bad = pk.corrupt_crc(line) if corrupt_at[i] == "crc_mismatch" else pk.truncate(line)
                out.append(bad)
                kinds.append((len(out), corrupt_at[i]))
            out.append(line)
        # split per month of data time, in send order
        by_month: dict[str, list[str]] = {}
        month_of_line = _months(out, t0)
        for line, month in zip(out, month_of_line, strict=True):
            by_month.setdefault(month, []).append(line)
        gz = o.protocol != "2005"
        slug = TOWNSHIP_SLUGS[o.township]
        for month, mlines in sorted(by_month.items()):
            rel = f"cems/{slug}/{mn}_{month}.log" + (".gz" if gz else "")
            _write_lines(out_dir / rel, mlines, gz, gzip_level)
            res.files[rel] = len(mlines)
        if kinds:
            # line numbers are per file; corrupted lines all fall in one month here
            for line_no, kind in kinds:
                month = month_of_line[line_no - 1]
                before = sum(1 for m in month_of_line[: line_no - 1] if m == month)
                rel = f"cems/{slug}/{mn}_{month}.log" + (".gz" if gz else "")
                res.corrupted.append(CorruptLine(rel, before + 1, kind))
    return res


def _months(lines: list[str], t0: datetime) -> list[str]:
    """yyyymm of each line's DataTime (or QN for packets without one), carrying the previous
    line's month for truncated lines."""
    months: list[str] = []
    last = f"{t0:%Y%m}"
    for line in lines:
        k = line.find("DataTime=")
        if k >= 0 and len(line) >= k + 15 and line[k + 9 : k + 15].isdigit():
            last = line[k + 9 : k + 15]
        else:
            q = line.find("QN=")
            if q >= 0 and line[q + 3 : q + 9].isdigit():
                last = line[q + 3 : q + 9]
        months.append(last)
    return months
