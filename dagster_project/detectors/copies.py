"""Another outlet's values written over this one's (D24, a borrowed fingerprint): a stretch of
running hours whose hour-to-hour changes in log equal, within the rounding of the reported values,
those of a stretch of another device's same pollutant, in time order or reversed, at any offset
and scaled by any factor (a constant factor leaves log changes as they were).

Two days of such equal changes do not happen by chance: each step of a running series carries its
own noise. Candidates come from a hash of the sizes of 8 consecutive changes above 1 %; each is
checked change by change along its diagonal, and the equal pieces are chained where they lie a
few changes apart (the copy and this check need not agree on which hours the plant ran). Of the
two outlets, the one whose values stopped following its own channels (flow, temperature, O2,
its other pollutants) over the stretch is the copy. Where neither side's coupling dropped
clearly, the copy is the side whose values jump at the stretch's ends (the outlet's own values
give way to foreign ones there, while the original runs on as before); where nothing tells,
both are reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dagster_project.detectors.channels import Drop, StepCoupling, fitted
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series, by_device

K = 8  # changes per hashed pattern
BIN = 0.01  # their size, in bins of 1 % (a rounding moves few across a bin's edge)
FLOOR = 0.01  # a change under 1 % may vanish in a copy's rounding: left out of the patterns
MAX_SHARED = 8  # a pattern more frequent than this is a smooth series' habit, not a copy
LOCAL = 96  # changes checked either side of a shared pattern along its diagonal
MIN_PIECE = 6  # equal changes in a row that make a piece of a copy
MAX_JUMP = 4  # changes a copy may skip or repeat between pieces (hours one side counts as
# running and the other not, a calibration hour left out on one side only)


@dataclass
class Steps:
    """Some hours of one series with a positive value, in order, and the changes between them."""

    series: Series
    rows: np.ndarray  # grid positions of the values
    log: np.ndarray  # log values at `rows`
    err: np.ndarray  # per change: its largest error from the rounding of the two values


def resolution(values: np.ndarray) -> np.ndarray:
    """Each value's reporting resolution: 10^-(its decimals), at most 4 (a value is read on its
    own: a copy may be rounded otherwise than the series around it)."""
    res = np.full(values.size, 1e-4)
    left = np.ones(values.size, bool)
    for d in range(4):
        scaled = values * 10.0**d
        whole = left & (np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1.0, np.abs(scaled)))
        res[whole] = 10.0**-d
        left &= ~whole
    return res


def steps_of(s: Series, keep: np.ndarray) -> Steps | None:
    rows = np.flatnonzero(keep & (s.measured > 0))
    if rows.size < 2:
        return None
    v = s.measured[rows]
    rel = resolution(v) / 2 / v  # largest rounding error of each log value
    return Steps(s, rows, np.log(v), rel[:-1] + rel[1:])


def _codes(dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sizes of the changes above FLOOR (the smaller ones are left out: a copy's rounding
    may hide them), in BIN steps, K at a time (six bits each, the first lowest), and the
    position of the first change of each pattern."""
    big = np.flatnonzero(np.abs(dy) > FLOOR)
    n = big.size - K + 1
    if n <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    sym = (np.clip(np.floor(dy[big] / BIN), -32, 31) + 32).astype(np.uint64)
    code = np.zeros(n, np.uint64)
    for j in range(K):
        code |= sym[j : j + n] << np.uint64(6 * j)
    return code, big[:n]


@dataclass
class Piece:
    """Changes a[i0:i1] equal to the source's from i0 + off on."""

    i0: int
    i1: int
    off: int
    moving: int  # changes clear of the rounding
    worst: float  # largest |difference of changes| / its rounding tolerance


@dataclass
class Copy:
    """Pieces of target a's changes (its normally flagged hours the plant was not stopped)
    equal to pieces of source b's (its hours the plant was not stopped, whatever their flag: a
    copy takes them all; reversed: run backwards), in order, a few changes apart at most."""

    a: Steps
    b: Steps
    reversed: bool
    pieces: list[Piece]

    @property
    def steps(self) -> int:
        return sum(p.i1 - p.i0 for p in self.pieces)

    @property
    def moving(self) -> int:
        return sum(p.moving for p in self.pieces)


def _source(b: Steps, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    dy, err = np.diff(b.log), b.err
    return (-dy[::-1], err[::-1]) if reverse else (dy, err)


def _runs(ok: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _index(seqs: Sequence[tuple[Steps, bool]]) -> tuple[np.ndarray, np.ndarray]:
    """The hashable patterns of every sequence (its index, position), sorted by pattern."""
    keys, where = [], []
    for n, (st, rev) in enumerate(seqs):
        code, pos = _codes(_source(st, rev)[0])
        keys.append(code)
        where.append(np.column_stack([np.full(pos.size, n), pos]))
    code = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    at = np.concatenate(where) if where else np.zeros((0, 2), np.int64)
    order = np.argsort(code, kind="stable")
    return code[order], at[order]


def _hits(seqs: Sequence[tuple[Steps, bool]], nt: int) -> np.ndarray:
    """(target, source, offset, target position) for each pattern a target shares with a source
    of another device (patterns shared by more than MAX_SHARED entries left out)."""
    code, at = _index(seqs)
    device = np.array([st.series.mn for st, _ in seqs])
    size = np.diff(np.r_[0, np.flatnonzero(np.diff(code)) + 1, code.size])
    share = np.repeat(size, size)
    hits = [np.zeros((0, 4), np.int64)]
    for d in range(1, MAX_SHARED):
        i = np.flatnonzero((code[:-d] == code[d:]) & (share[:-d] <= MAX_SHARED))
        for x, y in ((i, i + d), (i + d, i)):
            keep = (at[x, 0] < nt) & (at[y, 0] >= nt) & (device[at[x, 0]] != device[at[y, 0]])
            hits.append(np.column_stack([at[x, 0], at[y, 0], at[y, 1] - at[x, 1], at[x, 1]])[keep])
    return np.unique(np.concatenate(hits), axis=0)


def _pieces(
    da: np.ndarray, ea: np.ndarray, db: np.ndarray, eb: np.ndarray, off: int, lo: int, hi: int
) -> list[Piece]:
    """Runs of >= MIN_PIECE changes of a[lo:hi] equal, within rounding, to b's `off` later."""
    ia = np.arange(max(lo, 0, -off), min(hi, da.size, db.size - off))
    gap = np.abs(da[ia] - db[ia + off])
    tol = ea[ia] + eb[ia + off] + 1e-9
    out = []
    for r0, r1 in _runs(gap <= tol):
        if r1 - r0 >= MIN_PIECE:
            seg = slice(r0, r1)
            moving = int((np.abs(da[ia[seg]]) > np.maximum(FLOOR, 2 * tol[seg])).sum())
            worst = float(np.max(gap[seg] / tol[seg]))
            out.append(Piece(int(ia[r0]), int(ia[r1 - 1]) + 1, off, moving, worst))
    return out


def _follow(
    da: np.ndarray, ea: np.ndarray, db: np.ndarray, eb: np.ndarray, p: Piece, forward: bool
) -> list[Piece]:
    """The pieces that continue `p` (forward or backward), each starting (ending) at most
    MAX_JUMP changes from the last on a diagonal at most MAX_JUMP away, for as long as there is
    one."""
    out = []
    while True:
        lo, hi = (p.i1, p.i1 + MAX_JUMP + LOCAL) if forward else (p.i0 - MAX_JUMP - LOCAL, p.i0)
        near = [
            q
            for off in range(p.off - MAX_JUMP, p.off + MAX_JUMP + 1)
            for q in _pieces(da, ea, db, eb, off, lo, hi)
            if (q.i0 <= p.i1 + MAX_JUMP if forward else q.i1 >= p.i0 - MAX_JUMP)
        ]
        if not near:
            return out
        p = (
            min(near, key=lambda q: (q.i0, q.i0 - q.i1))
            if forward
            else max(near, key=lambda q: (q.i1, q.i1 - q.i0))
        )
        out.append(p)


def _chains(pieces: list[Piece]) -> list[list[Piece]]:
    """Pieces in target order, chained where the next starts at most MAX_JUMP changes after the
    last ended, on a diagonal at most MAX_JUMP away (a few hours skipped or repeated)."""
    chains: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: (p.i0, p.i0 - p.i1, p.off)):
        last = chains[-1][-1] if chains else None
        if last is not None and p.i0 < last.i1:
            continue  # the same stretch, read on a neighbouring diagonal
        if last is not None and p.i0 - last.i1 <= MAX_JUMP and abs(p.off - last.off) <= MAX_JUMP:
            chains[-1].append(p)
        else:
            chains.append([p])
    return chains


def find_copies(targets: Sequence[Steps], sources: Sequence[Steps], c: Config) -> list[Copy]:
    """Every stretch of a target whose changes equal those of a source of another device
    (forward or reversed), in pieces of >= MIN_PIECE a few changes apart at most, >=
    `min_steps` in all and >= `min_moving` of them well clear of their rounding (a flat stretch
    is equal to any other). Each shared pattern is checked up to LOCAL changes either side along
    its diagonal, and the piece it lies on followed both ways (`_follow`)."""
    seqs = [(t, False) for t in targets] + [(s, r) for s in sources for r in (False, True)]
    found = []
    by_pair: dict[tuple[int, int], list[Piece]] = {}
    for a, b, off, i in _hits(seqs, len(targets)).tolist():
        have = by_pair.setdefault((a, b), [])
        if any(p.i0 <= i < p.i1 for p in have):
            continue  # on a piece read already
        src, rev = seqs[b]
        db, eb = _source(src, rev)
        da, ea = np.diff(targets[a].log), targets[a].err
        for p in _pieces(da, ea, db, eb, off, i - LOCAL, i + LOCAL):
            if p.i0 <= i < p.i1:
                have += [p, *_follow(da, ea, db, eb, p, True), *_follow(da, ea, db, eb, p, False)]
    for (a, b), pieces in sorted(by_pair.items()):
        src, rev = seqs[b]
        for chain in _chains(pieces):
            cp = Copy(targets[a], src, rev, chain)
            if cp.steps >= c["min_steps"] and cp.moving >= c["min_moving"]:
                found.append(cp)
    return found


def coupling_drop(s: Series, group: Sequence[Series], rows: np.ndarray) -> Drop | None:
    """How far the series' hour-to-hour changes stopped following its own channels over grid
    positions `rows` (first to last) against its other usable hours (None where it cannot be
    told: no channel to fit, too few hours)."""
    fit = fitted(s, group, s.usable)
    sc = StepCoupling.of(fit) if fit is not None else None
    if sc is None:
        return None
    return sc.drop((sc.pairs > rows.min()) & (sc.pairs <= rows.max()))


def _t(d: Drop | None) -> float:
    return d.t if d is not None else 0.0


EDGE_HOURS = 2  # hours either side of a stretch's end whose mean levels are compared


def edge_jump(s: Series, rows: np.ndarray) -> float | None:
    """How far the level jumps into and out of the stretch over grid positions `rows`: at each
    end, the mean log value of the EDGE_HOURS hours inside against the EDGE_HOURS outside, in
    robust standard deviations of the same difference across the series' own running hours (a
    single spiking hour moves it little); the larger of the two ends. None where neither end
    borders running hours read (a stop, a gap, the series' ends), or where the series has too
    few such differences (under 24) or none of them spread."""
    k = EDGE_HOURS
    on = (s.state != "stopped") & s.present & np.isfinite(s.measured) & (s.measured > 0)
    y = np.where(on, np.log(np.where(on, s.measured, 1.0)), np.nan)
    if y.size < 2 * k + 1:
        return None
    means = np.lib.stride_tricks.sliding_window_view(y, k).mean(axis=1)  # of y[i : i + k]
    # at boundary b (between hours b - 1 and b): the k hours from b against the k before b
    diff = np.full(y.size + 1, np.nan)
    diff[k : y.size - k + 1] = means[k:] - means[: y.size - 2 * k + 1]
    own = diff[np.isfinite(diff)]
    if own.size < 24:
        return None
    typical = 1.4826 * float(np.median(np.abs(own - np.median(own))))
    ends = [diff[int(rows.min())], diff[int(rows.max()) + 1]]
    read = [abs(float(d)) for d in ends if np.isfinite(d)]
    return max(read) / typical if read and typical > 0 else None


def copy_side(
    drops: dict[str, Drop | None], jumps: dict[str, float | None], c: dict[str, Any]
) -> list[str]:
    """The outlets of a copy event to report: the one whose coupling with its own channels
    dropped more when a drop reaches `side_min_t` standard errors; else the one whose values jump
    at the stretch's ends (`edge_jump_z` robust sd, `edge_ratio` times the other's); else, as
    long as a coupling was read at all, the larger drop; else both."""
    mns = sorted(drops)
    by_drop = max(mns, key=lambda m: _t(drops[m]))
    if _t(drops[by_drop]) >= c["side_min_t"]:
        return [by_drop]
    z = {m: jumps[m] or 0.0 for m in mns}
    by_jump = max(mns, key=lambda m: z[m])
    rest = max((z[m] for m in mns if m != by_jump), default=0.0)
    if z[by_jump] >= c["edge_jump_z"] and z[by_jump] >= c["edge_ratio"] * rest:
        return [by_jump]
    return [by_drop] if any(d is not None for d in drops.values()) else mns


@dataclass
class Stretch:
    """A copy read from one of its two outlets: `rows` (grid positions, in time order) on
    `series` hold values whose changes equal those of `src_rows` on `source` (the source's first
    row matches the first of `rows` unless the copy runs the source backwards), `scale` times
    their level."""

    series: Series
    rows: np.ndarray
    source: Series
    src_rows: np.ndarray
    reversed: bool
    scale: float
    steps: int
    pieces: int
    worst: float

    @classmethod
    def both_sides(cls, cp: Copy) -> tuple[Stretch, Stretch]:
        """The copy as found (target side) and as read from its source."""
        first, last = cp.pieces[0], cp.pieces[-1]
        rows = cp.a.rows[first.i0 : last.i1 + 1]
        src_rows_all = cp.b.rows[::-1] if cp.reversed else cp.b.rows
        src_logs = cp.b.log[::-1] if cp.reversed else cp.b.log
        src_rows = src_rows_all[first.i0 + first.off : last.i1 + last.off + 1]
        ratios = np.concatenate(
            [
                cp.a.log[p.i0 : p.i1 + 1] - src_logs[p.i0 + p.off : p.i1 + p.off + 1]
                for p in cp.pieces
            ]
        )
        scale = float(np.exp(np.median(ratios)))
        worst = max(p.worst for p in cp.pieces)
        here = cls(
            cp.a.series,
            rows,
            cp.b.series,
            src_rows,
            cp.reversed,
            scale,
            cp.steps,
            len(cp.pieces),
            worst,
        )
        there = cls(
            cp.b.series,
            np.sort(src_rows),
            cp.a.series,
            rows,
            cp.reversed,
            1 / scale,
            cp.steps,
            len(cp.pieces),
            worst,
        )
        return here, there

    @property
    def same_days(self) -> bool:
        """The same values a whole number of days later, unscaled: copy_paste's finding."""
        shift = self.series.times[int(self.rows[0])] - self.source.times[int(self.src_rows[0])]
        return (
            not self.reversed
            and abs(np.log(self.scale)) < 0.005
            and shift.total_seconds() / 3600 % 24 == 0
        )


def _overlap(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(x.min() <= y.max() and y.min() <= x.max())


def copy_events(found: Sequence[Copy]) -> list[list[Stretch]]:
    """The copies found, grouped into events: one stretch of values found on two outlets is
    found from either side (each as the copy of the other), over extents that need not agree;
    copies between the same two outlets whose stretches overlap on both are one event. Each
    event holds the stretches read from either side."""
    sides = [Stretch.both_sides(cp) for cp in found]
    parent = list(range(len(sides)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (x, _) in enumerate(sides):
        for j in range(i):
            y = sides[j][0]
            if {x.series.mn, x.source.mn} != {y.series.mn, y.source.mn}:
                continue
            a, b = (y.rows, y.src_rows) if y.series.mn == x.series.mn else (y.src_rows, y.rows)
            if _overlap(x.rows, a) and _overlap(x.src_rows, b):
                parent[root(i)] = root(j)
    events: dict[int, list[Stretch]] = {}
    for i, pair in enumerate(sides):
        events.setdefault(root(i), []).extend(pair)
    return list(events.values())


def scaled_copies(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Report each stretch copied, scaled, from another device (`find_copies`) once, on the
    outlet whose values over it stopped following their own channels more (the larger drop of the
    slope of their changes on those of their fit, `coupling_drop`, in standard errors, each side
    read over all the hours the event covers on it; a side where it cannot be told counts as no
    drop): the other holds the original. Where neither drop is clear, the side whose values jump
    at the stretch's ends (`edge_jump`) is the copy (`copy_side`). A copy is found from both
    sides over extents that need not agree, so the two are judged together as one event
    (`copy_events`), never each on its own extent (which could excuse both). Where nothing tells
    (no channel to fit, no jump), both are reported: one of them does not hold its own values.
    A copy that copy_paste reports already (the same values a whole number of days later) is
    left to it."""
    c = cfg["scaled_copy"]
    groups = by_device(series)
    targets: dict[str, list[Steps]] = {}
    sources: dict[str, list[Steps]] = {}
    for s in series:
        on = (s.state != "stopped") & s.present & np.isfinite(s.measured)
        own = steps_of(s, on & (s.flag == "N"))
        src = steps_of(s, on)
        if own is not None and src is not None:
            targets.setdefault(s.pollutant_code, []).append(own)
            sources.setdefault(s.pollutant_code, []).append(src)
    for pol in sorted(targets):
        for event in copy_events(find_copies(targets[pol], sources[pol], c)):
            if all(st.same_days for st in event):
                continue
            by_mn: dict[str, list[Stretch]] = {}
            for st in event:
                by_mn.setdefault(st.series.mn, []).append(st)
            rows = {mn: np.concatenate([st.rows for st in sts]) for mn, sts in by_mn.items()}
            drops = {
                mn: coupling_drop(sts[0].series, groups[mn], rows[mn]) for mn, sts in by_mn.items()
            }
            jumps = {mn: edge_jump(sts[0].series, rows[mn]) for mn, sts in by_mn.items()}
            for mn in copy_side(drops, jumps, c):
                st = max(by_mn[mn], key=lambda x: x.steps)
                src = st.source.mn
                _report(fb, pol, st, (drops[mn], jumps[mn]), (drops[src], jumps[src]), c)


def _report(
    fb: FindingsBuilder,
    pol: str,
    st: Stretch,
    here: tuple[Drop | None, float | None],
    there: tuple[Drop | None, float | None],
    c: dict[str, Any],
) -> None:
    """One finding of a copy on `st.series`; `here` and `there`: the coupling drop and the edge
    jump of this outlet and of the source."""
    t, src = st.series, st.source
    fb.report(
        "fingerprint_drift",
        t.mn,
        pol,
        t.times[int(st.rows[0])],
        t.times[int(st.rows[-1])],
        "equal_log_changes",
        st.steps,
        {
            "min_steps": c["min_steps"],
            "min_moving": c["min_moving"],
            "side_min_t": c["side_min_t"],
            "edge_jump_z": c["edge_jump_z"],
            "edge_ratio": c["edge_ratio"],
        },
        {
            "source_mn": src.mn,
            "source_start": src.times[int(st.src_rows.min())],
            "source_end": src.times[int(st.src_rows.max())],
            "source_reversed": st.reversed,
            "scale_factor": st.scale,
            "largest_difference_share_of_rounding": st.worst,
            "pieces": st.pieces,
            "coupling_here": None if here[0] is None else asdict(here[0]),
            "coupling_source": None if there[0] is None else asdict(there[0]),
            "edge_jump_here": here[1],
            "edge_jump_source": there[1],
            "meaning": "consecutive hour-to-hour changes of log values equal to the "
            "source's within the rounding of both; coupling: slope of the changes on "
            "those of their fit on the outlet's own channels over the stretch and "
            "elsewhere, t: its drop in standard errors; edge jump: the larger jump of the "
            "mean level of two hours into or out of the stretch, in robust sd of the same "
            "difference across the series' running hours",
        },
    )
