"""Parse HJ 212 packet logs into values, device events and rejects (all polars DataFrames),
streaming by piece so memory stays bounded whatever the size of the logs.

Every record (see framing.py) ends up in exactly one place:
  * values: a usable data packet (CN in codes.DATA_CNS), one row per CP value;
  * events: a usable packet of any other command (replies, heartbeats, restarts, device info);
  * rejects: with a named reason (framing: bad_header, truncated, bad_crc_field, crc_mismatch,
    length_mismatch, crc_modbus_le; content: unsupported_version, bad_datatime, bad_value,
    out_of_range:<code>-<field> (bounds.py); duplicate).
A file that cannot be read whole (logfile.py: truncated_file, empty_file, unreadable_file) adds
one reject row of its own, at the line where reading stopped (0: the file as a whole), with the
`detail`; it counts as one record read and rejected. Blank lines are no records: the counts
name them (`blank_lines`).

`ParseStream` yields one `Batch` per piece of a file (whole lines, about 24 MB), in file and line
order, then one closing batch. `parse_files` collects them into one `ParseResult`.

Duplicates: data packets with the same (MN, CN, DataTime, PNO) are one measurement sent twice.
The first one received wins (files in `source_file` order, then line order; `seen_before` can
name packets loaded by an earlier run, e.g. an earlier build); each later copy is rejected with
reason `duplicate`, so read = loaded + rejected always holds. Decided piece by piece, in order
(keys.py keeps the keys of the packets kept so far).

Split packets (Flag bit D, PNUM/PNO) are reassembled as a set keyed by (MN, CN, DataTime, PNUM)
over all files parsed together (a set may straddle two hourly logs): as in the standard's
examples each part carries DataTime and whole items, so each part's values are kept with its own
line, and `-Flag` attributes are joined across the whole set. Their values come in the closing
batch, after every piece. Sets missing a part are counted (`split_sets_incomplete`) and their
parts still loaded.

Units are decided per piece (values.units: a station's pressure readings Pa-sized or not), over
the readings of each MN in it.

Speed: pieces are framed, checked and parsed in a thread pool (numpy and polars release the GIL)
while the next piece is read (and gunzipped); see framing.py (vectorised CRC) and layout.py
(header and CP located in numpy, regular CPs split once). Only duplicates, which need the pieces
in order, are settled in the consuming thread.

The access password (PW) is never carried into any output; raw text of rejects is masked.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212 import codes, fields, framing
from dagster_project.hj212.keys import SeenPackets
from dagster_project.hj212.landed import resolved_name
from dagster_project.hj212.logfile import FileProblem
from dagster_project.hj212.masking import mask_raw
from dagster_project.hj212.pieces import PIECE_BYTES, LogPieces, Piece, parse_piece
from dagster_project.hj212.values import (
    ITEM_COLUMNS,
    PACKET_COLUMNS,
    VALUES_SCHEMA,
    long_values,
    packet_columns,
    units,
    value_rows,
)

# One piece per core (measured on 2 cores: a third worker gains nothing).
WORKERS = max(1, min(4, os.cpu_count() or 1))
KEY = ["mn", "cn", "data_time", "pno"]

REJECT_SCHEMA = {
    "source_file": pl.String,
    "line_no": pl.Int64,
    "reason": pl.String,
    "raw_text": pl.String,
    "detail": pl.String,
}
EVENT_SCHEMA = {**dict.fromkeys(warehouse.CEMS_EVENTS_COLUMNS, pl.String)} | {
    "line_no": pl.Int64,
    "data_time": pl.Datetime("us"),
}


# polars frames are immutable: batches without rows share these
_EMPTY_ITEMS = pl.DataFrame(
    schema={"pkt": pl.UInt32, **{c: VALUES_SCHEMA[c] for c in ITEM_COLUMNS}}
)
_EMPTY_PACKET_COLS = pl.DataFrame(schema={c: VALUES_SCHEMA[c] for c in PACKET_COLUMNS})
_EMPTY_EVENTS = pl.DataFrame(schema={c: EVENT_SCHEMA[c] for c in warehouse.CEMS_EVENTS_COLUMNS})
_EMPTY_REJECTS = pl.DataFrame(schema=REJECT_SCHEMA)


@dataclass
class Batch:
    """What one piece (or the closing step) adds, in file and line order: value rows as
    `items` (`pkt`, ITEM_COLUMNS) with their packets' columns in `packet_cols` (row `pkt`), so
    packet columns are stored once per packet until a writer needs them. `finished` names a
    file all of whose pieces have now been handed out (its counts in `ParseStream.per_file`
    are final, split parts included)."""

    items: pl.DataFrame
    packet_cols: pl.DataFrame
    events: pl.DataFrame
    rejects: pl.DataFrame
    source_file: str | None = None  # None: rows of several logs (`source_file` says whose)
    finished: str | None = None
    split: bool = False  # the closing batch: split packets' values, their flags joined per set

    @property
    def values(self) -> pl.DataFrame:
        """The value rows with all their columns (VALUES_SCHEMA)."""
        return long_values(self.items, self.packet_cols)


@dataclass
class ParseResult:
    values: pl.DataFrame
    rejects: pl.DataFrame
    events: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    # per source_file: records read, packets loaded (values or events), records rejected
    per_file: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # per source_file: what the counts do not say (blank lines, a file-level problem)
    notes: dict[str, list[str]] = field(default_factory=dict)


def _rel(path: Path, root: Path | None) -> str:
    return resolved_name(path, root) if root is not None else path.as_posix()


SeenBefore = Callable[[pl.DataFrame], np.ndarray]


class ParseStream:
    """Parse packet logs (plain or gzip) piece by piece; iterate for the batches. `source_file`
    is relative to `root` when given. MODBUS-LE CRC lines are rejected (`crc_modbus_le`) unless
    their MN is in `modbus_le_allowed`. `station_units` overrides units: {mn: {code: unit}}.
    `seen_before(keys)` (mn, cn, data_time, pno) returns a mask of packets already loaded
    elsewhere (rejected here as duplicates). After iteration, `counts` and `per_file` hold the
    totals. Logs smaller than a piece are parsed together up to `group_bytes` a piece (0: each on
    its own). `names`, when given, are the logs' names in the order of `paths` (a caller that
    walked the folder has them; resolving a million hourly logs again costs a minute)."""

    def __init__(
        self,
        paths: Sequence[Path],
        root: Path | None = None,
        modbus_le_allowed: Collection[str] = (),
        station_units: Mapping[str, Mapping[str, str]] | None = None,
        seen_before: SeenBefore | None = None,
        group_bytes: int = PIECE_BYTES,
        names: Sequence[str] | None = None,
    ) -> None:
        self.group_bytes = group_bytes
        if names is None:
            names = [_rel(Path(p), root) for p in paths]
        assert len(names) == len(paths), "one name per path"
        self.named = sorted(zip(names, map(Path, paths), strict=True), key=lambda x: x[0])
        self.names = [n for n, _ in self.named]
        self.allowed = list(modbus_le_allowed)
        self.station_units = station_units
        self.seen_before = seen_before
        self.counts: Counter[str] = Counter(lines_read=0, blank_lines=0)
        self.per_file: dict[str, tuple[int, int, int]] = dict.fromkeys(self.names, (0, 0, 0))
        self.notes: dict[str, list[str]] = {name: [] for name in self.names}
        self._blank: Counter[str] = Counter()
        self._seen = SeenPackets()
        self._split: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = []
        self._split_packets = 0

    def __iter__(self) -> Iterator[Batch]:
        pending: deque[tuple[list[int], Future[Piece] | LogPieces]] = deque()
        group: list[tuple[int, int, bytes]] = []  # small logs whole, parsed as one piece
        size = 0  # of the group's bytes
        done: list[tuple[list[int], LogPieces]] = []  # their ends, after the group's piece
        with ThreadPoolExecutor(WORKERS) as pool:

            def submit(parts: list[tuple[int, int, bytes]]) -> Iterator[Batch]:
                job = pool.submit(parse_piece, parts, self.names, self.allowed)
                pending.append(([i for i, _, _ in parts], job))
                while len(pending) > WORKERS:  # bounded: the next pieces parse meanwhile
                    yield self._finish(*pending.popleft())

            def flush() -> Iterator[Batch]:
                nonlocal size
                if group:
                    yield from submit(group.copy())
                pending.extend(done)
                group.clear()
                done.clear()
                size = 0

            for file_idx, (_name, path) in enumerate(self.named):
                log = LogPieces(path)
                pieces = iter(log)
                first = next(pieces, None)
                second = next(pieces, None) if first is not None else None
                if second is None:  # the whole log is one piece (or nothing): group it
                    if first is not None and size + len(first) > self.group_bytes:
                        yield from flush()
                    if first is not None:
                        group.append((file_idx, 0, first))
                        size += len(first)
                    done.append(([file_idx], log))
                    continue
                yield from flush()
                line_base = 0
                for data in (first, second, *pieces):
                    assert data is not None
                    yield from submit([(file_idx, line_base, data)])
                    line_base += data.count(b"\n")
                pending.append(([file_idx], log))  # the file is done (and its problem known)
            yield from flush()
            while pending:
                yield self._finish(*pending.popleft())
        yield self._close()

    def _finish(self, files: list[int], job: Future[Piece] | LogPieces) -> Batch:
        if isinstance(job, LogPieces):
            return self._file_done(self.names[files[0]], job.problem)
        piece = job.result()
        counts = self.counts
        counts["lines_read"] += len(piece.start)
        for file_idx, blank in piece.blank_lines.items():
            counts["blank_lines"] += blank
            self._blank[self.names[file_idx]] += blank
        counts["variant_classified"] += int((piece.status == framing.MODBUS_LE).sum())
        packets = self._duplicates(piece.chunk.packets)
        ok = packets.filter(pl.col("reason").is_null())
        split = ok.filter(pl.col("pnum") > 1)
        if split.height:
            self._defer(piece, split)
        dup = packets.filter(pl.col("reason") == "duplicate").get_column("pkt")
        items, packet_cols = piece.chunk.items, piece.chunk.packet_cols
        if len(dup):
            items = items.filter(~pl.col("pkt").is_in(dup.implode()))
        if not items.get_column("pkt").is_sorted():  # item-by-item CPs come after the others
            items = items.sort("pkt", maintain_order=True)
        items = _with_units(items, packet_cols, self.station_units)
        events = _events(ok.filter(~pl.col("is_data")), self.names)
        rejects = _piece_rejects(piece, packets, self.names)
        counts["packets_valid"] += ok.height
        counts["values"] += items.height
        counts["events"] += events.height
        counts["modbus_le_accepted"] += int(ok.get_column("modbus").sum())
        counts["length_mismatch_accepted"] += int((~ok.get_column("length_ok")).sum())
        for reason, n in Counter(rejects.get_column("reason").to_list()).items():
            counts[f"rejected_{reason}"] += n
        counts["rejected"] += rejects.height
        read = Counter(piece.file_idx.tolist())
        loaded = Counter(ok.get_column("file_idx").to_list())
        rejected = Counter(rejects.get_column("source_file").to_list())
        for file_idx in files:
            name = self.names[file_idx]
            r, lo, rj = self.per_file[name]
            self.per_file[name] = (r + read[file_idx], lo + loaded[file_idx], rj + rejected[name])
        source = self.names[files[0]] if len(files) == 1 else None
        return Batch(items, packet_cols, events, rejects, source_file=source)

    def _file_done(self, name: str, problem: FileProblem | None) -> Batch:
        """A file's last batch: its notes, and the reject row of a file-level problem (one
        record read and rejected, at the line where reading stopped; 0: the file as a whole)."""
        batch = _empty_batch(name, finished=name)
        blank = self._blank.pop(name, 0)
        self.notes[name] = [f"{blank} blank lines"] if blank else []
        if problem is None:
            return batch
        where = f" at line {problem.line_no}" if problem.line_no else ""
        self.notes[name].append(f"{problem.reason}{where}: {problem.detail}")
        row = (name, problem.line_no, problem.reason, mask_raw(problem.raw_text), problem.detail)
        batch.rejects = pl.DataFrame([row], schema=REJECT_SCHEMA, orient="row")
        self.counts["file_problems"] += 1
        self.counts[f"rejected_{problem.reason}"] += 1
        self.counts["rejected"] += 1
        read, loaded, rejected = self.per_file[name]
        self.per_file[name] = (read + 1, loaded, rejected + 1)
        return batch

    def _duplicates(self, packets: pl.DataFrame) -> pl.DataFrame:
        """Usable data packets whose key came earlier (in this piece, an earlier piece, or
        before this run) get reason `duplicate`."""
        usable = pl.col("reason").is_null() & pl.col("is_data")
        first = pl.struct(KEY).is_first_distinct().over(usable)
        packets = packets.with_columns(
            reason=pl.when(usable & ~first).then(pl.lit("duplicate")).otherwise(pl.col("reason"))
        )
        candidates = packets.filter(usable)
        if candidates.height:
            dup = self._seen.add(candidates.select(KEY))
            if self.seen_before is not None and not dup.all():
                rest = np.flatnonzero(~dup)
                dup[rest[self.seen_before(candidates[rest].select(KEY))]] = True
            if dup.any():
                later = candidates.get_column("pkt").filter(pl.Series(dup))
                packets = packets.with_columns(
                    reason=pl.when(pl.col("pkt").is_in(later.implode()))
                    .then(pl.lit("duplicate"))
                    .otherwise(pl.col("reason"))
                )
        self.counts["duplicates_resolved"] += int(
            (packets.get_column("reason") == "duplicate").sum()
        )
        return packets

    def _defer(self, piece: Piece, split: pl.DataFrame) -> None:
        """Keep usable split packets (renumbered after those kept so far) and their items for
        the closing batch: a set's flags join across all its parts."""
        renumber = np.full(piece.chunk.packets.height, -1, dtype=np.int64)
        renumber[split.get_column("pkt").to_numpy()] = np.arange(
            self._split_packets, self._split_packets + split.height
        )
        self._split_packets += split.height

        def moved(df: pl.DataFrame) -> pl.DataFrame:
            new = renumber[df.get_column("pkt").to_numpy()]
            return df.with_columns(pkt=pl.Series(new, dtype=pl.UInt32)).filter(pl.Series(new >= 0))

        self._split.append(
            (moved(split), moved(piece.chunk.split_attrs), moved(piece.chunk.split_vals))
        )

    def _close(self) -> Batch:
        """The values of the split packets, with flags joined per set."""
        if not self._split:
            self.counts["split_sets_complete"] += 0
            self.counts["split_sets_incomplete"] += 0
            return _empty_batch(None)
        packets = pl.concat([p for p, _, _ in self._split])
        attrs = pl.concat([a for _, a, _ in self._split])
        vals = pl.concat([v for _, _, v in self._split])
        self._split = []
        packets = packets.with_columns(
            set_key=pl.col("pkt").min().over("mn", "cn", "data_time", "pnum")
        )
        sets = packets.group_by("set_key").agg(
            pl.col("pnum").first(), pl.col("pno").n_unique().alias("parts")
        )
        self.counts["split_sets_complete"] += int((sets["parts"] >= sets["pnum"]).sum())
        self.counts["split_sets_incomplete"] += int((sets["parts"] < sets["pnum"]).sum())
        packet_cols = packet_columns(packets, self.names)
        items = _with_units(value_rows(packets, attrs, vals), packet_cols, self.station_units)
        self.counts["values"] += items.height
        return Batch(items, packet_cols, _EMPTY_EVENTS, _EMPTY_REJECTS, split=True)


def parse_files(
    paths: Sequence[Path],
    root: Path | None = None,
    modbus_le_allowed: Collection[str] = (),
    station_units: Mapping[str, Mapping[str, str]] | None = None,
) -> ParseResult:
    """Parse packet logs into one result (see ParseStream for the arguments)."""
    stream = ParseStream(paths, root, modbus_le_allowed, station_units)
    batches = list(stream)
    values = pl.concat([b.values for b in batches])
    events = pl.concat([b.events for b in batches])
    rejects = pl.concat([b.rejects for b in batches]).sort(
        "source_file", "line_no", maintain_order=True
    )
    return ParseResult(
        values, rejects, events, dict(stream.counts), dict(stream.per_file), stream.notes
    )


def _with_units(
    items: pl.DataFrame,
    packet_cols: pl.DataFrame,
    station_units: Mapping[str, Mapping[str, str]] | None,
) -> pl.DataFrame:
    return items.with_columns(unit=units(items, packet_cols.get_column("mn"), station_units))


def _piece_rejects(piece: Piece, packets: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Framing rejects and packet rejects (content, variant, duplicate) of a piece, by line."""
    status = piece.status
    bad = np.flatnonzero((status != framing.OK) & (status != framing.MODBUS_LE))
    reasons = [framing.STATUS_NAMES[int(s)] for s in status[bad]]
    failed = packets.filter(pl.col("reason").is_not_null())
    idx = np.concatenate((bad, failed.get_column("rec").to_numpy())).astype(np.int64)
    reasons += failed.get_column("reason").to_list()
    details: list[str | None] = [None] * len(bad) + failed.get_column("detail").to_list()
    if not len(idx):
        return _EMPTY_REJECTS
    order = np.argsort(idx, kind="stable")
    idx = idx[order]
    return pl.DataFrame(
        {
            "source_file": [names[i] for i in piece.file_idx[idx]],
            "line_no": piece.line_no[idx].astype(np.int64),
            "reason": [reasons[i] for i in order],
            "raw_text": [mask_raw(piece.text(int(i))) for i in idx],
            "detail": [details[i] for i in order],
        },
        schema=REJECT_SCHEMA,
    )


def _events(pkts: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    out = pkts.select(
        source_file=pl.col("file_idx").replace_strict(
            dict(enumerate(names)), return_dtype=pl.String
        ),
        line_no="line_no",
        qn="qn",
        st="st",
        cn="cn",
        mn="mn",
        protocol_version="protocol_version",
        data_time=pl.coalesce("data_time", fields.parse_time(pl.col("qn"))),
        event_type=pl.col("cn").replace_strict(
            codes.EVENT_TYPES, default=codes.DEFAULT_EVENT_TYPE, return_dtype=pl.String
        ),
        detail=fields.mask_cp(pl.col("cp")),
    )
    assert list(out.columns) == list(warehouse.CEMS_EVENTS_COLUMNS)
    return out.cast(EVENT_SCHEMA)  # type: ignore[arg-type]


def _empty_batch(source_file: str | None, finished: str | None = None) -> Batch:
    return Batch(
        _EMPTY_ITEMS, _EMPTY_PACKET_COLS, _EMPTY_EVENTS, _EMPTY_REJECTS, source_file, finished
    )
