"""Withhold CEMS: choose half the monitored outlets (deterministically for a seed) and copy the
sources without their packets before a cut-off time.

Lines are dropped by content (the packet's MN and DataTime, else its QN), not by file name, so
any log layout works (one file per month, per year, several loggers in one file). A log left
empty is removed; every other file is copied unchanged.
"""

from __future__ import annotations

import gzip
import random
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_MN = re.compile(rb"MN=([^;&]*)")
_DATA_TIME = re.compile(rb"DataTime=(\d{14})")
_QN = re.compile(rb"QN=(\d{14})")


@dataclass(frozen=True)
class Withheld:
    mns: tuple[str, ...]
    files_rewritten: int
    files_removed: int
    lines_dropped: int
    lines_kept: int


def choose_outlets(mns: Iterable[str], seed: int) -> tuple[str, ...]:
    """Half (rounded down) of the distinct MNs, chosen by `seed` whatever their order."""
    pool = sorted(set(mns))
    return tuple(sorted(random.Random(f"withhold-{seed}").sample(pool, len(pool) // 2)))


def packet_time(line: bytes) -> datetime | None:
    """The period a packet is about (DataTime), else when it was sent (QN); None if neither."""
    m = _DATA_TIME.search(line) or _QN.search(line)
    return datetime.strptime(m.group(1).decode(), "%Y%m%d%H%M%S") if m else None


def keep_line(line: bytes, mns: frozenset[bytes], before: datetime) -> bool:
    m = _MN.search(line)
    if m is None or m.group(1) not in mns:
        return True
    t = packet_time(line)
    return t is None or t >= before


def _read(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), True
    return data, False


def _write(path: Path, data: bytes, gz: bool) -> None:
    if not gz:
        path.write_bytes(data)
        return
    with path.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as g:
        g.write(data)


def copy_withholding(src: Path, dst: Path, mns: Iterable[str], before: datetime) -> Withheld:
    """Copy `src` to `dst` (replaced) and drop, from every file under `dst/cems`, the packet lines
    of `mns` whose period starts before `before`."""
    mn_set = frozenset(m.encode() for m in mns)
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    rewritten = removed = dropped = kept = 0
    cems = dst / "cems"
    for path in sorted(p for p in cems.rglob("*") if p.is_file()) if cems.exists() else []:
        data, gz = _read(path)
        if not any(m in data for m in mn_set):
            kept += data.count(b"\n")
            continue
        lines = data.splitlines(keepends=True)
        out = [line for line in lines if keep_line(line, mn_set, before)]
        dropped += len(lines) - len(out)
        kept += len(out)
        if len(out) == len(lines):
            continue
        if out:
            _write(path, b"".join(out), gz)
            rewritten += 1
        else:
            path.unlink()
            removed += 1
    return Withheld(tuple(sorted(mns)), rewritten, removed, dropped, kept)
