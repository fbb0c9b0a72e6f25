"""Another outlet's values written over this one's (D24, a borrowed fingerprint): a stretch of
running hours whose hour-to-hour changes in log equal, within the rounding of the reported values,
those of a stretch of another device's same pollutant, in time order or reversed, at any offset
and scaled by any factor (a constant factor leaves log changes as they were).

Two days of such equal changes do not happen by chance: each step of a running series carries its
own noise. Candidates come from a hash of the signs of 32 consecutive changes (a change within
its rounding has no reliable sign and ends a candidate); each is then checked step by step along
its diagonal. Of the two outlets, the one whose values stopped following its own channels (flow,
temperature, O2, its other pollutants) over the stretch is the copy; where that cannot be told,
both are reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from dagster_project.detectors.channels import Drop, StepCoupling, fitted
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.series import Series, by_device

K = 32  # changes per hashed pattern
FLOOR = 0.01  # a change under 1 % may vanish in a copy's rounding
MAX_SHARED = 8  # a sign pattern more frequent than this is a smooth series' habit, not a copy


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
    """The signs of the changes above FLOOR (the smaller ones are left out: a copy's rounding
    may hide them), K at a time (one bit each, the first lowest), and the position of the
    first change of each pattern."""
    big = np.flatnonzero(np.abs(dy) > FLOOR)
    n = big.size - K + 1
    if n <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    up = (dy[big] > 0).astype(np.uint64)
    code = np.zeros(n, np.uint64)
    for j in range(K):
        code |= up[j : j + n] << np.uint64(j)
    return code, big[:n]


@dataclass
class Copy:
    """Changes a[i0:i1] (its normally flagged running hours) equal those of source b (its running
    hours, whatever their flag: a copy takes them all; reversed: run backwards) from j0 on."""

    a: Steps
    b: Steps
    reversed: bool
    i0: int
    i1: int
    j0: int
    worst: float  # largest |difference of changes| / its rounding tolerance


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


def find_copies(targets: Sequence[Steps], sources: Sequence[Steps], c: Config) -> list[Copy]:
    """Every stretch of >= `min_steps` changes of a target equal to those of a source of another
    device (forward or reversed), with >= `min_moving` of them well clear of their rounding (a
    flat stretch is equal to any other)."""
    seqs = [(t, False) for t in targets] + [(s, r) for s in sources for r in (False, True)]
    code, at = _index(seqs)
    nt = len(targets)
    device = np.array([st.series.mn for st, _ in seqs])
    # patterns shared by 2 to MAX_SHARED entries: each pair of entries of such a pattern, as
    # (target, source, offset of the source's position from the target's)
    size = np.diff(np.r_[0, np.flatnonzero(np.diff(code)) + 1, code.size])
    share = np.repeat(size, size)
    pairs = []
    for d in range(1, MAX_SHARED):
        i = np.flatnonzero((code[:-d] == code[d:]) & (share[:-d] <= MAX_SHARED))
        for x, y in ((i, i + d), (i + d, i)):
            keep = (at[x, 0] < nt) & (at[y, 0] >= nt) & (device[at[x, 0]] != device[at[y, 0]])
            pairs.append(np.column_stack([at[x, 0], at[y, 0], at[y, 1] - at[x, 1]])[keep])
    diagonals = np.unique(np.concatenate(pairs), axis=0) if pairs else np.zeros((0, 3), int)
    found = []
    for a, b, off in diagonals.tolist():
        src, rev = seqs[b]
        da, ea = np.diff(targets[a].log), targets[a].err
        db, eb = _source(src, rev)
        ia = np.arange(max(0, -off), min(da.size, db.size - off))
        gap = np.abs(da[ia] - db[ia + off])
        tol = ea[ia] + eb[ia + off] + 1e-9
        for r0, r1 in _runs(gap <= tol):
            seg = ia[r0:r1]
            moving = int((np.abs(da[seg]) > np.maximum(FLOOR, 2 * tol[r0:r1])).sum())
            if seg.size >= c["min_steps"] and moving >= c["min_moving"]:
                worst = float(np.max(gap[r0:r1] / tol[r0:r1]))
                found.append(
                    Copy(
                        targets[a],
                        src,
                        rev,
                        int(seg[0]),
                        int(seg[-1]) + 1,
                        int(seg[0]) + off,
                        worst,
                    )
                )
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


def scaled_copies(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Report each stretch copied, scaled, from another device (`find_copies`) on the outlet
    that holds it, unless the source's values over their stretch stopped following the source's
    own channels clearly more than this outlet's did over its own (their drops, `coupling_drop`,
    `min_drop_gap_t` standard errors apart): then this outlet holds the original and the
    source, found the other way round, the copy. Where that cannot be told (no channel to fit,
    a weakly coupled pollutant), both are reported: one of them does not hold its own values.
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
        for cp in find_copies(targets[pol], sources[pol], c):
            rows = cp.a.rows[cp.i0 : cp.i1 + 1]
            jb = np.arange(cp.j0, cp.j0 + cp.i1 - cp.i0 + 1)
            src_rows = (cp.b.rows[::-1] if cp.reversed else cp.b.rows)[jb]
            src_log = (cp.b.log[::-1] if cp.reversed else cp.b.log)[jb]
            scale = float(np.median(np.exp(cp.a.log[cp.i0 : cp.i1 + 1] - src_log)))
            t, src = cp.a.series, cp.b.series
            start, src_start = t.times[int(rows[0])], src.times[int(src_rows.min())]
            shift = (start - src.times[int(src_rows[0])]).total_seconds() / 3600
            if not cp.reversed and abs(np.log(scale)) < 0.005 and shift % 24 == 0:
                continue
            here = coupling_drop(t, groups[t.mn], rows)
            there = coupling_drop(src, groups[src.mn], np.sort(src_rows))
            if _t(there) - _t(here) >= c["min_drop_gap_t"]:
                continue  # the source lost its coupling, not this outlet: this one is its own
            fb.report(
                "fingerprint_drift",
                t.mn,
                pol,
                start,
                t.times[int(rows[-1])],
                "equal_log_changes",
                cp.i1 - cp.i0,
                {
                    "min_steps": c["min_steps"],
                    "min_moving": c["min_moving"],
                    "min_drop_gap_t": c["min_drop_gap_t"],
                },
                {
                    "source_mn": src.mn,
                    "source_start": src_start,
                    "source_end": src.times[int(src_rows.max())],
                    "source_reversed": cp.reversed,
                    "scale_factor": scale,
                    "largest_difference_share_of_rounding": cp.worst,
                    "coupling_here": None if here is None else asdict(here),
                    "coupling_source": None if there is None else asdict(there),
                    "meaning": "consecutive hour-to-hour changes of log values equal to the "
                    "source's within the rounding of both; coupling: slope of the changes on "
                    "those of their fit on the outlet's own channels over the stretch and "
                    "elsewhere, t: its drop in standard errors",
                },
            )
