"""Detectors on changes of level between two windows: step change and rescaling (D12/D13),
O2 manipulation and dilution (D14), flow against load (D16), cross-sensor physics (D17)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from dagster_project.detectors.channels import fit_channels
from dagster_project.detectors.config import Config
from dagster_project.detectors.findings import FindingsBuilder, runs
from dagster_project.detectors.series import Series, by_device, positions_on
from dagster_project.detectors.windows import sliding_medians

GAS_CODES = ("a21026", "a21002", "a21005", "a21001", "a24088")


@dataclass
class Scan:
    """Medians of the w values before and after each candidate position k (w <= k <= n − w)."""

    k: np.ndarray
    before: np.ndarray
    after: np.ndarray
    z: np.ndarray  # |after − before| over the standard error of a median difference
    medians: np.ndarray  # of every window of w values (before and after are read from it)

    @property
    def own_spread(self) -> float:
        """How far the two medians drift apart anywhere in this series: the robust spread (MAD)
        of after − before over all positions. Autocorrelated noise, slow drift and load-driven
        swings widen it, so a shift must stand out against the series' own wandering, not only
        against the iid standard error behind `z`. A real edit occupies few positions and barely
        moves it."""
        d = self.after - self.before
        return float(1.4826 * np.median(np.abs(d - np.median(d)))) if d.size else float("nan")


def scan(x: np.ndarray, w: int) -> Scan | None:
    n = x.size
    if n < 2 * w + 1:
        return None
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    med = sliding_medians(x, w)
    spread = 1.4826 * np.median(np.abs(win - med[:, None]), axis=1)
    k = np.arange(w, n - w + 1)
    b, a = med[k - w], med[k]
    se = 1.2533 * np.sqrt((spread[k - w] ** 2 + spread[k] ** 2) / w)
    z = np.abs(a - b) / np.maximum(se, 1e-9)
    return Scan(k, b, a, z, med)


def window_medians(x: np.ndarray, k: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Medians of a companion channel over the same before/after windows (NaN-tolerant)."""
    if x.size < 2 * w + 1:
        return np.full(k.size, np.nan), np.full(k.size, np.nan)
    if np.isnan(x).any():
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.lib.stride_tricks.sliding_window_view(x, w), axis=1)
    else:
        med = sliding_medians(x, w)
    return med[k - w], med[k]


def flow_log_shift(flow: np.ndarray, k: np.ndarray, w: int) -> np.ndarray:
    """|log(after / before)| of the flow medians at each position; 0 where unknown."""
    with np.errstate(all="ignore"):
        before, after = window_medians(flow, k, w)
        return np.nan_to_num(np.abs(np.log(after / before)), nan=0.0)


def o2_shift(o2: np.ndarray, k: np.ndarray, w: int) -> np.ndarray:
    """|after − before| of the O2 medians at each position, in O2 points; 0 where unknown."""
    before, after = window_medians(o2, k, w)
    return np.nan_to_num(np.abs(after - before), nan=0.0)


def pick_peaks(
    score: np.ndarray, candidate: np.ndarray, k: np.ndarray, sep: int
) -> list[tuple[int, int]]:
    """Local maxima of `score` among candidates, `sep` apart, in order of position: each as
    (position, its index into the scan arrays)."""
    order = np.argsort(-np.where(candidate, score, -np.inf))
    chosen: list[tuple[int, int]] = []
    for i in order:
        if not candidate[i]:
            break
        if all(abs(int(k[i]) - c) >= sep for c, _ in chosen):
            chosen.append((int(k[i]), int(i)))
    return sorted(chosen)


def episodes(
    cps: list[tuple[int, float, str]], n: int, w: int, signed_start: bool = False
) -> list[tuple[int, int, list[int]]]:
    """Pair a change with the next one of opposite sign and same class (the edit and its undo).
    A lone change covers the w values after it; with `signed_start`, a negative sign marks the
    end of an edit and the lone change covers the w values before it."""
    out: list[tuple[int, int, list[int]]] = []
    i = 0
    while i < len(cps):
        p, lr, cls = cps[i]
        if i + 1 < len(cps) and np.sign(cps[i + 1][1]) == -np.sign(lr) and cps[i + 1][2] == cls:
            out.append((p, cps[i + 1][0] - 1, [p, cps[i + 1][0]]))
            i += 2
        elif signed_start and lr < 0:
            out.append((max(p - w, 0), p - 1, [p]))
            i += 1
        else:
            out.append((p, min(p + w - 1, n - 1), [p]))
            i += 1
    return out


@dataclass
class Changes:
    """Change points found at positions `idx` of one hourly grid (one series, or one outlet when
    `pollutant_code` is None), with windows of w values, and reported as episodes."""

    mn: str
    pollutant_code: str | None
    times: list[datetime]
    idx: np.ndarray
    w: int
    # (position, signed size, anomaly type), as `episodes` pairs them
    points: list[tuple[int, float, str]] = field(default_factory=list)
    info: dict[int, dict[str, float]] = field(default_factory=dict)  # evidence, by position

    def add(self, p: int, size: float, kind: str, info: dict[str, float]) -> None:
        self.points.append((p, size, kind))
        self.info[p] = info

    def report(
        self,
        fb: FindingsBuilder,
        *,
        statistic: str,
        threshold: dict[str, float],
        values: dict[str, Any] | None = None,
        signed_start: bool = False,
    ) -> None:
        """One finding per episode; its statistic is the first change's `statistic` value, and
        the evidence lists every change of the episode."""
        times, idx = self.times, self.idx
        for lo, hi, members in episodes(self.points, idx.size, self.w, signed_start):
            kind = next(cl for p, _, cl in self.points if p == members[0])
            t0, t1 = times[idx[lo]], times[idx[hi]]
            fb.report(
                kind,
                self.mn,
                self.pollutant_code,
                t0,
                t1,
                statistic,
                self.info[members[0]][statistic],
                threshold,
                {
                    "changes": [{"at": times[idx[m]], **self.info[m]} for m in members],
                    **(values or {}),
                },
            )


def channel_residual(y: np.ndarray, channels: list[np.ndarray]) -> np.ndarray:
    """`y` minus its robust least-squares fit on the given channels (aligned with it); with no
    usable channel, `y` minus its median."""
    rows = np.arange(y.size)
    fit = fit_channels(y, channels, rows, rows_per_term=4)
    return y - (fit.predict(channels, rows) if fit is not None else np.median(y))


def load_residual(y: np.ndarray, s: Series, idx: np.ndarray) -> np.ndarray:
    """`y` (a log concentration at grid positions `idx`) minus what the outlet's own load channels
    explain: log flow, O2 (where informative) and stack temperature. Load changes, start-ups and
    the seasons move these channels with the concentration; an edit of the analyser moves it
    alone."""
    channels = [np.log(np.maximum(s.flow[idx], 1e-6)), s.temp[idx]]
    if s.o2_informative:
        channels.append(s.o2[idx])
    return channel_residual(y, channels)


def abrupt(
    resid: np.ndarray,
    idx: np.ndarray,
    k: np.ndarray,
    d: np.ndarray,
    h: int,
    share: float,
    max_grid_hours: int,
) -> np.ndarray:
    """Whether the shift `d` at each scan position `k` happens from one hour to the next: the
    medians of the `h` running hours just before and just after it (not across a long stop: the
    2h of them lie within `max_grid_hours` grid hours) already differ by `share` of it, in its
    direction. An edit or a stepping analyser jumps between two hours; the process's own
    wandering, drift and load-driven swings (left in the residual) move gradually, so a smaller
    shift is accepted only when it is abrupt."""
    n = resid.size
    out = np.zeros(k.size, bool)
    if n < 2 * h + 1:
        return out
    short = scan(resid, h)
    if short is None:
        return out
    j = k - h  # index of position k in the short scan
    ok = (j >= 0) & (j < short.k.size) & (k - h >= 0) & (k + h - 1 < n)
    jj = np.where(ok, j, 0)
    kk = np.clip(k, h, n - h)
    span = idx[np.minimum(kk + h - 1, n - 1)] - idx[kk - h]
    ds = short.after[jj] - short.before[jj]
    out = (
        ok
        & (span <= max_grid_hours)
        & (np.sign(ds) == np.sign(d))
        & (np.abs(ds) >= share * np.abs(d))
    )
    return out


def undone_changes(
    picks: list[tuple[int, int]],
    d: np.ndarray,
    idx: np.ndarray,
    max_hours: int,
    tol: float,
    anchored: np.ndarray | None = None,
) -> dict[int, bool]:
    """For each picked change (position, scan index), whether a later or earlier change within
    `max_hours` grid hours takes it back: opposite sign, and the two sizes cancel to within
    `tol` of the larger. An edit that is later undone puts the analyser back where it was; a
    fuel or process change that moves the level by itself has no such twin. With `anchored`
    (by scan index), at least one change of a pair must be anchored (abrupt between running
    hours): an edit taken back at a restart is judged by its own abrupt start."""
    out: dict[int, bool] = {}
    for a, (p, j) in enumerate(picks):
        for q, i in picks[a + 1 :]:
            if idx[q] - idx[p] > max_hours:
                break
            if anchored is not None and not (anchored[i] or anchored[j]):
                continue
            if np.sign(d[i]) == -np.sign(d[j]) and abs(d[i] + d[j]) <= tol * max(
                abs(d[i]), abs(d[j])
            ):
                out[j] = out[i] = True
    return out


def _noise_of_steps(d: np.ndarray) -> float:
    """Robust sd (1.4826 x MAD) of hour-to-hour changes."""
    return float(1.4826 * np.median(np.abs(d - np.median(d)))) if d.size else float("nan")


@dataclass
class ShiftScan:
    """What `step_and_rescale` computes at every candidate position `k` (an index into `idx`, the
    series' usable grid positions): the load-adjusted log shift `d`, the raw log level ratio `lr`,
    its robust `z`, the companion channels' moves, abruptness, and which positions are
    candidates. Kept apart so that the evidence of a missed case can be read back."""

    idx: np.ndarray
    x: np.ndarray
    resid: np.ndarray
    resid_medians: np.ndarray  # of every window of w values of `resid`
    w: int
    k: np.ndarray
    d: np.ndarray
    spread: float
    lr: np.ndarray
    z: np.ndarray
    before: np.ndarray
    after: np.ndarray
    flow_lr: np.ndarray
    o2_moved: np.ndarray
    sharp: np.ndarray
    across_stop: np.ndarray
    cand: np.ndarray
    loose: np.ndarray  # large enough to start or end a held shift, whatever the load did


def shift_scan(s: Series, cfg: Config) -> ShiftScan | None:
    """Scan the log concentration less its load-channel fit for level shifts (see
    `step_and_rescale`)."""
    c = cfg["step_change"]
    w = int(c["window_hours"])
    idx = np.flatnonzero(s.usable)
    x = s.measured[idx]
    floor = max(s.zero_tol(cfg["sql"]["anomaly_zero_span_share"]), 1e-6)
    if idx.size < 2 * w + 1:
        return None
    resid = load_residual(np.log(np.maximum(x, floor)), s, idx)
    sc = scan(resid, w)
    if sc is None:
        return None
    # the raw level's window medians (its spread is not needed)
    raw_before, raw_after = window_medians(x, sc.k, w)
    d = sc.after - sc.before
    spread = sc.own_spread
    with np.errstate(all="ignore"):
        lr = np.log(np.maximum(raw_after, floor) / np.maximum(raw_before, floor))
    flow_lr = flow_log_shift(s.flow[idx], sc.k, w)
    o2_moved = o2_shift(s.o2[idx], sc.k, w)
    h, share = int(c["abrupt_hours"]), c["abrupt_share"]
    sharp = abrupt(resid, idx, sc.k, d, h, share, int(c["abrupt_max_grid_hours"]))
    # as abrupt as the running hours either side can show, but with a stop between them: an
    # edit put on or taken off while the plant is down
    across_stop = abrupt(resid, idx, sc.k, d, h, share, idx.size + idx[-1]) & ~sharp
    # large enough, against the series' noise and own wandering, to be an edge of a held shift
    # (`held_shifts`); a step's edge (`cand`) must also pass the raw level, abruptness, flow and
    # O2 tests
    loose = (
        (np.abs(d) >= c["min_log_ratio"])
        & (sc.z >= c["robust_z"])
        & (np.abs(d) >= c["abrupt_own_spread_z"] * spread)
        & (np.maximum(raw_before, raw_after) > 2 * floor)
    )
    cand = (
        loose
        & (np.abs(lr) >= c["min_log_ratio"])
        & (np.sign(d) == np.sign(lr))
        & (
            (np.abs(d) >= c["own_spread_z"] * spread)
            | ((sharp | across_stop) & (np.abs(d) >= c["abrupt_own_spread_z"] * spread))
        )
        # the load (flow) must not move, neither absolutely nor as a sizeable part of the shift
        & (flow_lr <= c["max_flow_log_ratio"])
        & (flow_lr <= c["max_flow_share_of_shift"] * np.abs(lr))
        & (o2_moved <= c["max_o2_shift_pct"])
    )
    return ShiftScan(
        idx,
        x,
        resid,
        sc.medians,
        w,
        sc.k,
        d,
        spread,
        lr,
        sc.z,
        raw_before,
        raw_after,
        flow_lr,
        o2_moved,
        sharp,
        across_stop,
        cand,
        loose,
    )


@dataclass
class Held:
    """A held shift: the load-adjusted level leaves at usable position `p` (scan index `i`) and
    comes back at `q` (scan index `j`); `shift` is the episode's residual median less the mean of
    the medians of the w usable hours either side, `z` how far that stands out among the same
    statistic over episodes of its length anywhere in the series."""

    p: int
    q: int
    i: int
    j: int
    shift: float
    z: float


def episode_shift(
    resid: np.ndarray, medw: np.ndarray, starts: np.ndarray, n_in: int, w: int
) -> np.ndarray:
    """The episode statistic at each start: the median of the `n_in` values from there, less the
    mean of the medians of the `w` values before and after them (`medw`: medians of every window of
    w values)."""
    inner = np.median(np.lib.stride_tricks.sliding_window_view(resid, n_in)[starts], axis=1)
    return inner - (medw[starts - w] + medw[starts + n_in]) / 2


def episode_z(resid: np.ndarray, medw: np.ndarray, p: int, q: int, w: int) -> tuple[float, float]:
    """The episode statistic of [p, q) and its robust z against the same statistic for every
    episode of the same length (an eighth of it apart) in the series that lies apart from it,
    with the w values either side: an outlet whose load-adjusted level wanders by days sets its
    own, wider, null; an episode that overlaps the one judged, or compares itself with it, holds
    part of its shift, so it belongs to the case, not to the null. Where fewer than 8 such
    episodes fit (a long episode in a part-time plant's usable hours), the null is read from
    episodes of half its length: their medians wander more, so that null is wider, never
    narrower. (shift, z); z is 0 where fewer than 8 of those fit either."""
    n_in = q - p
    shift = float(episode_shift(resid, medw, np.array([p]), n_in, w)[0])
    for m in (n_in, n_in // 2):
        starts = np.arange(w, resid.size - m - w + 1, max(m // 8, 1))
        starts = starts[(starts + m + w <= p) | (starts - w >= q)]
        if starts.size >= 8:
            break
    else:
        return shift, 0.0
    null = episode_shift(resid, medw, starts, m, w)
    centre = float(np.median(null))
    mad = 1.4826 * float(np.median(np.abs(null - centre)))
    return shift, abs(shift - centre) / max(mad, 1e-9)


def held_shifts(ss: ShiftScan, cfg: Config) -> list[Held]:
    """Changes of the load-adjusted level (loose candidates, whatever the load did at the edge)
    taken back within `undo_max_days` by an opposite change of about their size, where the whole
    episode between them stands out (`episode_z`) from the series' own episodes of that length
    apart from it, and at least one of the two passes every test of a step (`cand`), or both are
    abrupt between running hours (an edit put on and taken off at an hour, whatever the load did
    over the days around them); an episode that stands out further (`episode_z_alone`) needs
    neither. The load channels are already in the residual; judging the episode as a whole lets an
    edit whose edges fall on a restart or a load change (where flow and O2 move with it), or whose
    edges the hour-to-hour noise blurs, count."""
    c = cfg["step_change"]
    w, d, idx = ss.w, ss.d, ss.idx
    picks = pick_peaks(np.abs(d), ss.loose, ss.k, int(c["min_separation_hours"]))
    out: list[Held] = []
    taken: set[int] = set()
    for a, (p, i) in enumerate(picks):
        if i in taken:
            continue
        for q, j in picks[a + 1 :]:
            if idx[q] - idx[p] > int(c["undo_max_days"]) * 24:
                break
            edges = ss.cand[i] or ss.cand[j] or (ss.sharp[i] and ss.sharp[j])
            if np.sign(d[j]) != -np.sign(d[i]) or abs(d[i] + d[j]) > c["undo_tolerance"] * max(
                abs(d[i]), abs(d[j])
            ):
                continue
            shift, z = episode_z(ss.resid, ss.resid_medians, p, q, w)
            need = c["episode_z"] if edges else c["episode_z_alone"]
            if np.sign(shift) == np.sign(d[i]) and z >= need:
                out.append(Held(p, q, i, j, shift, z))
                taken.add(j)
                break
    return out


def step_and_rescale(s: Series, cfg: Config, fb: FindingsBuilder) -> None:
    """Level shifts of the measured value that the outlet's own load does not explain: scanned on
    the log concentration less its load-channel fit, judged against the series' own wandering,
    with flow and O2 unchanged. A shift that stands out less (down to `abrupt_own_spread_z`)
    counts when it is abrupt and taken back within `undo_max_days` by an opposite abrupt change
    of about its size: an edit and its undo, which the process's wandering and a fuel change that
    stays do not make; so does a held shift (`held_shifts`), reported from its start to its end.
    A multiplicative shift whose hour-to-hour noise scales with the level is a rescaled signal,
    otherwise a step, decided once per episode (`_classify_episodes`)."""
    c = cfg["step_change"]
    ss = shift_scan(s, cfg)
    if ss is None:
        return
    idx, x, w, d, spread, lr, sharp = ss.idx, ss.x, ss.w, ss.d, ss.spread, ss.lr, ss.sharp
    changes = Changes(s.mn, s.pollutant_code, s.times, idx, w)
    strong = np.abs(d) >= c["own_spread_z"] * spread
    picks = pick_peaks(np.abs(d), ss.cand, ss.k, int(c["min_separation_hours"]))
    undone = undone_changes(
        picks, d, idx, int(c["undo_max_days"]) * 24, c["undo_tolerance"], anchored=sharp
    )
    for p, j in picks:
        if not (strong[j] or undone.get(j, False)):
            continue
        level = float(lr[j])
        changes.add(
            p,
            level,
            "step_change",  # until its episode is classified
            {
                "level_ratio": float(np.exp(level)),
                "load_adjusted_log_shift": float(d[j]),
                "own_spread_log": spread,
                "abrupt": bool(sharp[j]),
                "abrupt_across_a_stop": bool(ss.across_stop[j]),
                "undone_within_days": bool(undone.get(j, False)),
                "median_before_mg_m3": float(ss.before[j]),
                "median_after_mg_m3": float(ss.after[j]),
                "z": float(ss.z[j]),
                "flow_log_ratio": float(ss.flow_lr[j]),
                "o2_shift_pct": float(ss.o2_moved[j]),
            },
        )
    for h in held_shifts(ss, cfg):
        _add_held(changes, ss, h, int(c["min_separation_hours"]))
    _classify_episodes(changes, x, c["rescale_within_factor"])
    changes.report(
        fb,
        statistic="level_ratio",
        threshold={
            "min_abs_log_ratio": c["min_log_ratio"],
            "robust_z": c["robust_z"],
            "own_spread_z": c["own_spread_z"],
            "abrupt_own_spread_z": c["abrupt_own_spread_z"],
            "abrupt_hours": c["abrupt_hours"],
            "abrupt_share": c["abrupt_share"],
            "undo_max_days": c["undo_max_days"],
            "undo_tolerance": c["undo_tolerance"],
            "max_flow_log_ratio": c["max_flow_log_ratio"],
            "rescale_within_factor": c["rescale_within_factor"],
            "episode_z": c["episode_z"],
        },
    )


def shift_kind(level: float, scale_ratio: float, factor: float) -> str:
    """A shift whose scale moved with the level is a rescaled signal, otherwise a step: the log
    scale ratio has the log level ratio's sign and lies within `factor` of it either way (a
    step leaves the scale where it was, log ratio ~0; a step that pushes values onto a floor
    takes their noise away, a log ratio far beyond the level's)."""
    lsr = float(np.log(max(scale_ratio, 1e-9)))
    return "rescaled_signal" if level != 0 and 1 / factor < lsr / level < factor else "step_change"


def _iqr(x: np.ndarray) -> float:
    q75, q25 = np.percentile(x, [75, 25])
    return float(q75 - q25)


def scale_ratios(
    inside: Sequence[np.ndarray], outside: Sequence[np.ndarray], level: float
) -> dict[str, float]:
    """How the signal's scale changed between the pieces `inside` and those `outside` (runs of
    consecutive usable values), three ways: the hour-to-hour noise, the hour-to-hour noise of the
    log values times the level ratio (the process's noise is multiplicative, so its log noise
    does not move with the load), and the interquartile spread. A rescaled signal moves all
    three with the level; a step moves none. Their median (`scale_ratio`) decides: one estimate
    thrown off (the spread by a load change inside the episode, a noise ratio by values pushed
    onto a floor) does not carry the other two with it."""

    def noise(pieces: Sequence[np.ndarray], log: bool) -> float:
        v = [np.log(np.maximum(x, 1e-6)) if log else x for x in pieces]
        return _noise_of_steps(np.concatenate([np.diff(x) for x in v]))

    raw = noise(inside, False) / max(noise(outside, False), 1e-9)
    logs = noise(inside, True) / max(noise(outside, True), 1e-9) * float(np.exp(level))
    spread = _iqr(np.concatenate(inside)) / max(_iqr(np.concatenate(outside)), 1e-9)
    ratios = {"noise_ratio": raw, "log_noise_ratio_times_level": logs, "spread_ratio": spread}
    ratios["scale_ratio"] = float(np.median(list(ratios.values())))
    return ratios


def _log_level_ratio(inside: np.ndarray, outside_median: float) -> float:
    """log(median of `inside` / `outside_median`), both floored at 1e-9."""
    return float(np.log(max(float(np.median(inside)), 1e-9) / max(outside_median, 1e-9)))


def _add_held(changes: Changes, ss: ShiftScan, h: Held, sep_hours: int) -> None:
    """Report a held shift as one episode from its start to its end. A change already found
    within `sep_hours` of an edge, with that edge's sign, stands for it (it passed every test of a
    step, at its own position); other changes at or between the edges give way to the episode."""
    idx, x, w = ss.idx, ss.x, ss.w
    inside = x[h.p : h.q]
    outside = float(np.median(np.concatenate([x[h.p - w : h.p], x[h.q : h.q + w]])))
    level = _log_level_ratio(inside, outside)
    info = {
        "level_ratio": float(np.exp(level)),
        "episode_log_shift": h.shift,
        "episode_z": h.z,
        "median_inside_mg_m3": float(np.median(inside)),
        "median_either_side_mg_m3": outside,
    }
    keep: set[int] = set()
    new: list[tuple[int, float, dict[str, float]]] = []
    for p, j, size in ((h.p, h.i, level), (h.q, h.j, -level)):
        found = [
            pt[0]
            for pt in changes.points
            if abs(int(idx[pt[0]]) - int(idx[p])) <= sep_hours and np.sign(pt[1]) == np.sign(size)
        ]
        if found:
            keep.add(found[0])
            changes.info[found[0]].update(info)
            continue
        edge = {
            "load_adjusted_log_shift": float(ss.d[j]),
            "own_spread_log": ss.spread,
            "abrupt": bool(ss.sharp[j]),
            "abrupt_across_a_stop": bool(ss.across_stop[j]),
            "z": float(ss.z[j]),
            "flow_log_ratio": float(ss.flow_lr[j]),
            "o2_shift_pct": float(ss.o2_moved[j]),
        }
        new.append((p, size, {**info, **edge}))
    lo, hi = idx[h.p] - sep_hours, idx[h.q] + sep_hours
    for p in [pt[0] for pt in changes.points if lo <= idx[pt[0]] <= hi and pt[0] not in keep]:
        changes.points = [pt for pt in changes.points if pt[0] != p]
        del changes.info[p]
    for p, size, ev in new:
        changes.add(p, size, "step_change", ev)
    changes.points.sort(key=lambda pt: pt[0])


def _classify_episodes(changes: Changes, x: np.ndarray, factor: float) -> None:
    """Step or rescale, decided once per episode (a change and the change that takes it back, or
    a lone change and the w values after it): the episode's measured values against as many
    values either side as it holds, at least w (a lone change: the w before it), by level and by
    how the signal's scale changed (`scale_ratios`). A whole episode and its surroundings
    estimate the scale far better than the w values either side of each change."""
    cps = [(p, size, "shift") for p, size, _ in changes.points]
    kinds: dict[int, str] = {}
    for _, _, members in episodes(cps, x.size, changes.w):
        p = members[0]
        if len(members) == 2:
            q = members[1]
            span = max(q - p, changes.w)
            inside = [x[p:q]]
            outside = [x[max(p - span, 0) : p], x[q : q + span]]
        else:
            inside, outside = [x[p : p + changes.w]], [x[max(p - changes.w, 0) : p]]
        level = _log_level_ratio(inside[0], float(np.median(np.concatenate(outside))))
        ratios = scale_ratios(inside, outside, level)
        for m in members:
            kinds[m] = shift_kind(level, ratios["scale_ratio"], factor)
            changes.info[m]["episode_level_ratio"] = float(np.exp(level))
            changes.info[m].update(ratios)
    changes.points = [(p, size, kinds[p]) for p, size, _ in changes.points]


def _report_conflicting_hours(
    fb: FindingsBuilder,
    d: Series,
    kind: str,
    conflict: np.ndarray,
    min_hours: float,
    statistic: str,
    threshold: dict[str, float],
    pattern: str,
) -> None:
    """One outlet finding per run of at least `min_hours` hours where the flue-gas channels
    contradict each other; the evidence gives the channels' medians over the run."""
    for lo, hi in runs(conflict):
        if hi - lo + 1 >= min_hours:
            t0, t1 = d.times[lo], d.times[hi]
            channels = {
                "flow_m3_s": float(np.nanmedian(d.flow[lo : hi + 1])),
                "o2_pct": float(np.nanmedian(d.o2[lo : hi + 1])),
                "temp_c": float(np.nanmedian(d.temp[lo : hi + 1])),
            }
            fb.report(
                kind,
                d.mn,
                None,
                t0,
                t1,
                statistic,
                hi - lo + 1,
                {**threshold, "min_hours": min_hours},
                {**channels, "pattern": pattern},
            )


def o2_and_dilution(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """O2 shifted down at unchanged flow (converted shrinks) or pinned near O2_ref: O2 manipulation;
    O2 up with measured gases down at unchanged flow: dilution."""
    c = cfg["o2"]
    w = int(c["window_hours"])
    for mn, group in by_device(series).items():
        d = group[0]
        if not d.o2_informative:
            continue
        idx = np.flatnonzero(d.running & np.isfinite(d.o2) & np.isfinite(d.flow))
        if idx.size < 3 * w:
            continue
        o2 = d.o2[idx]
        # O2 falls as load (flow) rises: scan the residual of the outlet's own O2-on-flow line
        slope, intercept = np.polyfit(d.flow[idx], o2, 1)
        resid = o2 - (intercept + slope * d.flow[idx])
        sc = scan(resid, w)
        if sc is None:
            continue
        flow_lr = flow_log_shift(d.flow[idx], sc.k, w)
        delta = sc.after - sc.before
        cand = (
            (np.abs(delta) >= c["min_shift_pct"])
            & (sc.z >= c["residual_z"])
            & (np.abs(delta) >= c["own_spread_z"] * sc.own_spread)
            & (flow_lr <= cfg["step_change"]["max_flow_log_ratio"])
        )
        changes = Changes(mn, None, d.times, idx, w)
        for p, j in pick_peaks(
            np.abs(delta), cand, sc.k, int(cfg["step_change"]["min_separation_hours"])
        ):
            ratios = []
            for g in group:
                m = g.measured[idx]
                if g.pollutant_code in GAS_CODES or g.pollutant_code == "a34013":
                    with np.errstate(all="ignore"):
                        before, after = np.nanmedian(m[p - w : p]), np.nanmedian(m[p : p + w])
                    if np.isfinite(before) and before > 0 and np.isfinite(after):
                        ratios.append(after / before)
            measured_ratio = float(np.median(ratios)) if ratios else float("nan")
            if not np.isfinite(measured_ratio):
                continue
            # dilution moves measured against O2 (air in: O2 up, measured down; air off: the
            # reverse); O2 manipulation moves O2 alone (pushed down, or restored at the end)
            drop = c["dilution_measured_drop"]
            diluting = (delta[j] > 0 and measured_ratio <= 1 - drop) or (
                delta[j] < 0 and measured_ratio >= 1 / (1 - drop)
            )
            if diluting:
                cls = "dilution"
            elif abs(np.log(measured_ratio)) < -np.log(1 - drop):
                cls = "o2_manipulation"
            else:
                continue
            changes.add(
                p,
                float(delta[j]) * (1 if cls == "dilution" else -1),
                cls,
                {
                    "o2_before_pct": float(np.median(o2[p - w : p])),
                    "o2_after_pct": float(np.median(o2[p : p + w])),
                    "o2_residual_shift_pct": float(delta[j]),
                    "z": float(sc.z[j]),
                    "flow_log_ratio": float(flow_lr[j]),
                    "measured_ratio": measured_ratio,
                },
            )
        changes.report(
            fb,
            statistic="o2_residual_shift_pct",
            threshold={
                "min_shift_pct": c["min_shift_pct"],
                "z": c["residual_z"],
                "own_spread_z": c["own_spread_z"],
                "dilution_measured_drop": c["dilution_measured_drop"],
            },
            values={"reference_o2": d.reference_o2},
            signed_start=True,
        )
        # O2 pinned near the reference value
        if d.reference_o2 is None or o2.size < 3 * w:
            continue
        win = np.lib.stride_tricks.sliding_window_view(o2, w)
        std, med = win.std(axis=1), sliding_medians(o2, w)
        typical = float(np.median(std))
        if typical < 0.2:
            continue
        flags = (std < c["flat_std_ratio"] * typical) & (
            np.abs(med - d.reference_o2) <= c["flat_ref_margin_pct"]
        )
        for lo, hi in runs(flags):
            a, b = lo, min(hi + w - 1, o2.size - 1)
            t0, t1 = d.times[idx[a]], d.times[idx[b]]
            fb.report(
                "o2_manipulation",
                mn,
                None,
                t0,
                t1,
                "o2_std_over_typical",
                float(o2[a : b + 1].std() / typical),
                {
                    "flat_std_ratio": c["flat_std_ratio"],
                    "within_pct_of_reference": c["flat_ref_margin_pct"],
                },
                {
                    "o2_median_pct": float(np.median(o2[a : b + 1])),
                    "typical_std_pct": typical,
                    "reference_o2": d.reference_o2,
                    "pattern": "pinned",
                },
            )


def flow_load(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Flow shifts that temperature and O2 (the other load channels) do not explain and do not
    share; or flow says stopped while O2 and temperature say running."""
    c = cfg["flow_load"]
    w = int(c["window_hours"])
    for mn, group in by_device(series).items():
        d = group[0]
        # (a) flow off while the rest of the flue gas runs
        _report_conflicting_hours(
            fb,
            d,
            "flow_load_inconsistency",
            (d.flow_vote == 0) & (d.state == "running"),
            2,
            "hours_flow_stopped_while_running",
            {},
            "flow_off",
        )
        # (b) a shift of flow the other channels do not share
        idx = np.flatnonzero(d.running & np.isfinite(d.flow) & (d.flow > 0) & np.isfinite(d.temp))
        if idx.size < 3 * w:
            continue
        # what the other load channels (temperature, and O2 where informative) do not explain
        lf = channel_residual(
            np.log(d.flow[idx]), [d.temp[idx]] + ([d.o2[idx]] if d.o2_informative else [])
        )
        sc = scan(lf, w)
        if sc is None:
            continue
        tb, ta = window_medians(d.temp[idx], sc.k, w)
        temp_rel = np.abs(ta - tb) / np.maximum(np.abs(tb), 1.0)
        o2_moved = o2_shift(d.o2[idx], sc.k, w) if d.o2_informative else np.zeros(sc.k.size)
        delta = sc.after - sc.before
        cand = (
            (np.abs(delta) >= c["min_log_ratio"])
            & (sc.z >= c["residual_z"])
            & (np.abs(delta) >= c["own_spread_z"] * sc.own_spread)
            & (temp_rel <= 0.05)
            & (o2_moved <= 0.5)
        )
        changes = Changes(mn, None, d.times, idx, w)
        for p, j in pick_peaks(
            np.abs(delta), cand, sc.k, int(cfg["step_change"]["min_separation_hours"])
        ):
            changes.add(
                p,
                float(delta[j]),
                "flow_load_inconsistency",
                {
                    "flow_ratio": float(np.exp(delta[j])),
                    "z": float(sc.z[j]),
                    "temp_rel_change": float(temp_rel[j]),
                    "o2_shift_pct": float(o2_moved[j]),
                },
            )
        changes.report(
            fb,
            statistic="flow_ratio",
            threshold={
                "min_abs_log_ratio": c["min_log_ratio"],
                "z": c["residual_z"],
                "own_spread_z": c["own_spread_z"],
                "max_temp_rel_change": 0.05,
                "max_o2_shift_pct": 0.5,
            },
            values={"pattern": "shift beyond what temperature and O2 explain"},
        )


def from_steady_running(mask: np.ndarray, d: Series, ambient: float) -> np.ndarray:
    """The runs of `mask` that begin straight out of steady running with flue-gas O2 (the hour
    before is running and below ambient): a probe pulled out of a running stack. A run that
    begins at a restart is the excess air of a start-up, falling from ambient as load comes on."""
    out = np.zeros(mask.size, bool)
    for lo, hi in runs(mask):
        if lo > 0 and d.state[lo - 1] == "running" and d.o2[lo - 1] < ambient:
            out[lo : hi + 1] = True
    return out


def declared_maintenance(d: Series, group: Sequence[Series]) -> np.ndarray:
    """Hours of `d`'s grid where every analyser of the device carries a maintenance or
    calibration mark: a declared stretch in which the probe may be out of the stack (its timing is
    calibration_timing's to judge, not physics')."""
    out = np.ones(len(d.times), bool)
    for g in group:
        marked = np.zeros(len(d.times), bool)
        idx = positions_on(d, g)
        marked[idx[(idx >= 0) & np.isin(g.flag, ["M", "C"])]] = True
        out &= marked
    return out


def previous_median(x: np.ndarray, n: int) -> np.ndarray:
    """At each finite value of `x`, the median of the `n` finite values before it (NaN where
    fewer precede it and at non-finite values)."""
    prev = np.full(x.size, np.nan)
    vals = np.flatnonzero(np.isfinite(x))
    if vals.size > n:
        prev[vals[n:]] = sliding_medians(x[vals], n)[:-1]
    return prev


def cross_sensor(series: Sequence[Series], cfg: Config, fb: FindingsBuilder) -> None:
    """Ambient O2 while flow and temperature say running (probe out / sampling air); all gases
    collapsing together while flow holds (blocked probe)."""
    c = cfg["cross_sensor"]
    ambient = cfg["sql"]["anomaly_o2_ambient_pct"]
    for mn, group in by_device(series).items():
        d = group[0]
        undeclared = ~declared_maintenance(d, group)
        if d.o2_informative:
            ambient_running = (d.o2 >= ambient) & (d.flow_vote == 1) & (d.temp_vote == 1)
            _report_conflicting_hours(
                fb,
                d,
                "cross_sensor_inconsistency",
                from_steady_running(ambient_running, d, ambient) & undeclared,
                c["ambient_min_hours"],
                "hours_ambient_o2_while_running",
                {"o2_ambient_pct": ambient},
                "ambient_o2",
            )
        gases = [g for g in group if g.pollutant_code in GAS_CODES]
        if (
            len(gases) < 2
            or len({len(g.times) for g in gases}) != 1
            or gases[0].times[0] != gases[1].times[0]
        ):
            continue
        ratios = []
        for g in gases:
            x = np.where(g.running, g.measured, np.nan)
            with np.errstate(all="ignore"):
                ratios.append(x / previous_median(x, 24))
        r = np.vstack(ratios)
        with np.errstate(invalid="ignore"):
            drop = (
                np.all(r < c["gas_drop_ratio"], axis=0)
                & (d.flow_vote == 1)
                & (d.state == "running")
                & undeclared
            )
        for lo, hi in runs(drop):
            if hi - lo + 1 >= c["gas_drop_min_hours"]:
                t0, t1 = d.times[lo], d.times[hi]
                fb.report(
                    "cross_sensor_inconsistency",
                    mn,
                    None,
                    t0,
                    t1,
                    "max_gas_ratio_to_previous_day",
                    float(np.nanmax(r[:, lo : hi + 1])),
                    {
                        "gas_drop_ratio": c["gas_drop_ratio"],
                        "min_hours": c["gas_drop_min_hours"],
                    },
                    {"gases": [g.pollutant_code for g in gases], "pattern": "all_gases_drop"},
                )
