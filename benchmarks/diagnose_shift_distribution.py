"""Why world B's step_change, rescaled_signal, narrow_band and bunching_below_limit cases are
missed: for each injected case of those kinds, its parameters (duration, size, outlet kind, running
share, load cycling) and what the detector computed on its series; then the detector's findings on
the clean data (false episodes). Only the series concerned are examined, through the same SQL
operating state and `Series` as the full benchmark; the generic-finding suppression of the engine
is applied. Development seeds only.

    uv run python benchmarks/diagnose_shift_distribution.py --seeds 301 302 [--kinds step_change]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import polars as pl

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.scoring import overlaps
from benchmarks.detector_worlds.workbench import Label
from dagster_project.detectors import distribution, levels, shifts
from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.engine import consolidate, series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.series import Series

KINDS = ("step_change", "rescaled_signal", "narrow_band", "bunching_below_limit")
DETECTORS: tuple[Callable[[Series, Config, FindingsBuilder], None], ...] = (
    shifts.step_and_rescale,
    levels.narrow_band,
    levels.constant_value,
    levels.detection_limit_hugging,
    distribution.bunching_below_limit,
)


def series_of(inputs: DetectorInputs, cfg: Config) -> dict[tuple[str, str], Series]:
    return {(s.mn, s.pollutant_code): s for s in series_for_frames(inputs, cfg)}


def findings_on(series: list[Series], cfg: Config, outlets: pl.DataFrame) -> pl.DataFrame:
    frames = []
    for fn in DETECTORS:
        fb = FindingsBuilder("diag")
        for s in series:
            fn(s, cfg, fb)
        frames.append(fb.frame())
    f = (
        pl.concat([x for x in frames if x.height], how="diagonal_relaxed")
        if any(x.height for x in frames)
        else frames[0]
    )
    return consolidate(f, outlets) if f.height else f


def _shift_edges(lab: Label, s: Series, cfg: Config) -> str:
    """What the step/rescale scan computed at each edge of the case: at the scan position within
    ±6 usable hours of the edge with the largest load-adjusted shift."""
    ss = shifts.shift_scan(s, cfg)
    if ss is None:
        return " (series too short to scan)"
    t = np.array(s.times, dtype="datetime64[us]")[ss.idx]
    out = ""
    for name, edge in (("start", lab.start), ("end", lab.end + timedelta(hours=1))):
        p = int(np.searchsorted(t, np.datetime64(edge)))
        j = np.arange(max(p - 6 - ss.w, 0), min(p + 7 - ss.w, ss.k.size))
        if not j.size:
            out += f"\n      {name}: outside the scan"
            continue
        b = int(j[np.argmax(np.abs(ss.d[j]))])
        out += (
            f"\n      {name}: shift {ss.d[b]:+.2f} = {abs(ss.d[b]) / ss.spread:.1f} x own spread"
            f" {ss.spread:.3f}; level log {ss.lr[b]:+.2f} z {ss.z[b]:.1f} flow {ss.flow_lr[b]:.2f}"
            f" O2 {ss.o2_moved[b]:.2f} abrupt {bool(ss.sharp[b])} candidate {bool(ss.cand[b])}"
        )
    return out


def describe(lab: Label, s: Series, clean: Series, cfg: Config) -> str:
    t = np.array(s.times, dtype="datetime64[us]")
    inside = (t >= np.datetime64(lab.start)) & (t <= np.datetime64(lab.end))
    run_in = s.usable & inside
    cin = clean.measured[run_in]
    xin = s.measured[run_in]
    flow = s.flow[s.usable]
    cyc = float(np.nanstd(np.log(np.maximum(flow, 1e-6)))) if flow.size else float("nan")
    stops = int(np.sum(np.diff(s.running.astype(int)) == 1))
    base = f"{s.source_kind or '-':<14} hours {int(inside.sum()):>4} usable {int(run_in.sum()):>4}"
    base += f" flow log-sd {cyc:.2f} restarts {stops:>3}"
    if lab.anomaly_type in ("step_change", "rescaled_signal") and cin.size:
        ratio = float(np.median(xin) / max(np.median(cin), 1e-9))
        base += f" level x{ratio:.2f} clean med {np.median(cin):.2f}"
        base += _shift_edges(lab, s, cfg)
    if lab.anomaly_type == "narrow_band" and s.span:
        w = xin
        base += (
            f" band {float(np.ptp(w)) / s.span:.4f} span, std {w.std():.3f},"
            f" series 24h-std med {np.nanstd(clean.measured[clean.usable]):.3f} span {s.span}"
        )
    if lab.anomaly_type == "bunching_below_limit" and s.limit:
        x = s.compliance[run_in] / s.limit
        base += (
            f" band {(np.sum((x >= 0.9) & (x < 1)))} ref {np.sum((x >= 0.75) & (x < 0.9))}"
            f" above {np.sum(x >= 1)} below.75 {np.sum(x < 0.75)}"
            f" wall p {distribution._wall_below_limit(x, cfg['bunching_below_limit']):.1e}"
        )
    return base


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(301, 311)))
    ap.add_argument("--kinds", nargs="*", default=list(KINDS))
    ap.add_argument("--all", action="store_true", help="list hits too, not only the missed")
    args = ap.parse_args()
    cfg = load_config()
    total: dict[str, list[int]] = {k: [0, 0] for k in args.kinds}
    false_n: dict[str, int] = dict.fromkeys(args.kinds, 0)
    for seed in args.seeds:
        w = world_b.build(seed)
        labs = [lab for lab in w.labels if lab.anomaly_type in args.kinds]
        keys = {(lab.mn, lab.pollutant_code) for lab in labs}
        inj = series_of(DetectorInputs(w.injected, w.outlets, w.stack_tests), cfg)
        cln = series_of(DetectorInputs(w.clean, w.outlets, w.clean_stack_tests), cfg)
        found = findings_on([inj[k] for k in keys if k in inj], cfg, w.outlets)
        rows = found.to_dicts() if found.height else []
        for lab in labs:
            mine = [f for f in rows if overlaps(f, lab)]
            hit = any(f["anomaly_type"] == lab.anomaly_type for f in mine)
            total[lab.anomaly_type][0] += hit
            total[lab.anomaly_type][1] += 1
            if hit and not args.all:
                continue
            s, c = inj[(lab.mn, lab.pollutant_code)], cln[(lab.mn, lab.pollutant_code)]
            print(
                f"{seed} {'HIT ' if hit else 'MISS'} {lab.anomaly_type:<21}"
                f"{lab.mn[-6:]} {lab.pollutant_code} {lab.start:%m-%d %H}h "
                f"{describe(lab, s, c, cfg)}"
            )
            for f in mine:
                ev = f["evidence"][:300]
                print(f"      found {f['anomaly_type']} {f['start_time']:%m-%d %H} {ev}")
        cf = findings_on(list(cln.values()), cfg, w.outlets)
        for f in cf.to_dicts() if cf.height else []:
            if f["anomaly_type"] in args.kinds and not any(
                f["anomaly_type"] == e.anomaly_type and overlaps(f, e) for e in w.expected
            ):
                false_n[f["anomaly_type"]] += 1
                print(
                    f"{seed} FALSE {f['anomaly_type']} {f['mn'][-6:]} {f['pollutant_code']} "
                    f"{f['start_time']:%m-%d %H} {f['evidence'][:200]}"
                )
    for k in args.kinds:
        print(f"{k:<22} recall {total[k][0]}/{total[k][1]}  false on clean {false_n[k]}")


if __name__ == "__main__":
    main()
