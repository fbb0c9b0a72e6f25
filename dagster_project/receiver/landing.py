"""Landing files: every packet durable before it is answered, hourly files closed atomically.

Layout of the landing folder (the warehouse's CEMS ingest reads every `.log` under
`sources/cems/`, so the landing folder normally sits there, e.g. `sources/cems/landing`):

```
<MN>/<YYYYMMDDHH>.log.part     the open file of an hour (Beijing time of receipt), appended
<MN>/<YYYYMMDDHH>.log          closed: fsync-ed, then renamed from .part (atomic)
<MN>/<YYYYMMDDHH>-<k>.log      a further file of an hour already closed (k = 2, 3, ...:
                               the station was restarted within that hour)
.station/journal-*.wal         write-ahead journal of the open files (hidden: never ingested)
.station/lock                  one station per landing folder
```

Durability is a group commit on the journal: `commit(records)` appends every record that
arrived since the last commit to the journal (`<stem>\\t<landed line>`), makes it durable with one
`fdatasync`, and only then appends the lines to their `.part` files; the caller answers the
loggers after `commit` returns. One fsync covers the whole batch however many loggers it holds,
so its cost does not grow with the fleet. A `.part` file is derived data: after a crash,
`open()` rebuilds every `.part` named in a journal from the journal (a torn last record, never
answered, is dropped), closes it, and deletes the journal. Closed files are never written again.

Closing an hour (at the first commit or tick of the next hour, and at shutdown) happens in a
background thread: fsync each `.part`, rename it to `.log`, fsync the directories, then delete the
journal. If the station dies halfway, the journal is still there and `open()` finishes the job.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

BEIJING = timezone(timedelta(hours=8))
META = ".station"


def hour_key(t: float) -> str:
    """`YYYYMMDDHH` of a Unix time, Beijing time (the time HJ 212 packets speak)."""
    return datetime.fromtimestamp(t, BEIJING).strftime("%Y%m%d%H")


@dataclass
class Recovery:
    journals: int = 0
    packets: int = 0
    files_closed: int = 0
    torn_bytes: int = 0


@dataclass
class _Open:
    """The files of the hour being written."""

    hour: str
    journal: Path
    journal_fd: int
    parts: dict[str, int] = field(default_factory=dict)  # stem -> fd
    stems: dict[str, str] = field(default_factory=dict)  # MN -> stem


class LandingStore:
    """Not thread-safe: one thread calls `commit`, `tick` and `close` (the station's I/O thread)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.meta = root / META
        self._open: _Open | None = None
        self._closer = ThreadPoolExecutor(1, thread_name_prefix="landing-close")
        self._closing: list[Future[None]] = []
        self._lock_fd: int | None = None
        self.files_closed = 0

    # -- start and stop -------------------------------------------------------------------------
    def open(self) -> Recovery:
        """Take the folder's lock and finish whatever a previous station left open."""
        self.meta.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.meta / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise RuntimeError(f"another station is landing into {self.root}") from exc
        self._lock_fd = fd
        report = Recovery()
        for journal in sorted(self.meta.glob("journal-*.wal")):
            self._replay(journal, report)
        for part in sorted(self.root.glob("*/*.log.part")):  # left without a journal
            _close_part(part, _free_log_name(part))
            _fsync_dir(part.parent)
            report.files_closed += 1
        self.files_closed += report.files_closed
        return report

    def close(self) -> None:
        """Close the open hour and wait for every close in progress."""
        self._retire()
        for fut in self._closing:
            fut.result()
        self._closing.clear()
        self._closer.shutdown()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- the write path -------------------------------------------------------------------------
    def commit(self, records: Sequence[tuple[str, bytes]], now: float) -> None:
        """Land (MN, line) records durably, in order (see the module docstring)."""
        self._reap()
        hour = hour_key(now)
        cur = self._open
        if cur is None or cur.hour != hour:
            self._retire()
            cur = self._open = self._start(hour)
        by_stem: dict[str, list[bytes]] = {}
        journal: list[bytes] = []
        for mn, line in records:
            stem = cur.stems.get(mn) or self._new_part(cur, mn)
            journal.append(stem.encode() + b"\t" + line)
            by_stem.setdefault(stem, []).append(line)
        _write_all(cur.journal_fd, b"".join(journal))
        os.fdatasync(cur.journal_fd)
        for stem, lines in by_stem.items():
            _write_all(cur.parts[stem], b"".join(lines))

    def tick(self, now: float) -> None:
        """Close the open hour once the clock has left it, even if no packet came since."""
        self._reap()
        if self._open is not None and self._open.hour != hour_key(now):
            self._retire()

    # -- internals ------------------------------------------------------------------------------
    def _start(self, hour: str) -> _Open:
        k = 1
        while (journal := self.meta / f"journal-{hour}-{k}.wal").exists():
            k += 1
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _fsync_dir(self.meta)
        return _Open(hour, journal, fd)

    def _new_part(self, cur: _Open, mn: str) -> str:
        # no fsync here: the journal is the durable copy; the hour's close syncs the folders
        (self.root / mn).mkdir(exist_ok=True)
        stem, k = f"{mn}/{cur.hour}", 1
        while _taken(self.root / stem):
            k += 1
            stem = f"{mn}/{cur.hour}-{k}"
        cur.parts[stem] = os.open(
            self.root / f"{stem}.log.part", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
        )
        cur.stems[mn] = stem
        return stem

    def _retire(self) -> None:
        """Hand the open hour to the closing thread."""
        cur, self._open = self._open, None
        if cur is not None:
            self._closing.append(self._closer.submit(self._close_hour, cur))

    def _close_hour(self, cur: _Open) -> None:
        folders = set()
        for stem, fd in cur.parts.items():
            os.fsync(fd)
            os.close(fd)
            part = self.root / f"{stem}.log.part"
            os.replace(part, part.with_suffix(""))
            folders.add(part.parent)
        for folder in folders:
            _fsync_dir(folder)
        _fsync_dir(self.root)  # MN folders created during the hour
        os.close(cur.journal_fd)
        cur.journal.unlink()
        _fsync_dir(self.meta)
        self.files_closed += len(cur.parts)

    def _reap(self) -> None:
        """Surface errors of finished closes (a close that failed leaves its journal)."""
        done = [f for f in self._closing if f.done()]
        self._closing = [f for f in self._closing if not f.done()]
        for fut in done:
            fut.result()

    def _replay(self, journal: Path, report: Recovery) -> None:
        data = journal.read_bytes()
        end = data.rfind(b"\n") + 1
        report.torn_bytes += len(data) - end
        contents: dict[str, list[bytes]] = {}
        for record in data[:end].splitlines(keepends=True):
            stem, _, line = record.partition(b"\t")
            contents.setdefault(stem.decode(), []).append(line)
            report.packets += 1
        folders = set()
        for stem, lines in contents.items():
            part = self.root / f"{stem}.log.part"
            part.parent.mkdir(parents=True, exist_ok=True)
            _write_file(part, b"".join(lines))
            os.replace(part, part.with_suffix(""))
            folders.add(part.parent)
        for folder in folders:
            _fsync_dir(folder)
        _fsync_dir(self.root)
        journal.unlink()
        _fsync_dir(self.meta)
        report.journals += 1
        report.files_closed += len(contents)


def _taken(stem_path: Path) -> bool:
    return (
        stem_path.with_name(stem_path.name + ".log").exists()
        or stem_path.with_name(stem_path.name + ".log.part").exists()
    )


def _free_log_name(part: Path) -> Path:
    """Where an orphan `.part` closes to: its own `.log` name, or a free `-k` one."""
    target = part.with_suffix("")
    stem, k = target.name[: -len(".log")], 1
    while target.exists():
        k += 1
        target = part.with_name(f"{stem}-{k}.log")
    return target


def _close_part(part: Path, target: Path) -> None:
    fd = os.open(part, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, target)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def landed_lines(root: Path, closed_only: bool = True) -> Iterable[tuple[Path, bytes]]:
    """(file, line) of every landed packet (tests and the load test read them back)."""
    pattern = "*/*.log" if closed_only else "*/*.log*"
    for path in sorted(root.glob(pattern)):
        for line in path.read_bytes().splitlines():
            if line:
                yield path, line
