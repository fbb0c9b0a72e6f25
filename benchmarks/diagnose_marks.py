"""Why world B's strategic_gap and calibration_timing cases are missed: for each injected case,
the episodes the detector sees on its series (gaps or marks, by stratum), which of them fall in
the case, their context ranks and the statistics of the test; then the detector's findings on
the clean data (false episodes). Only the series concerned are examined, through the same SQL
operating state and `Series` as the full benchmark. Development seeds only.

    uv run python benchmarks/diagnose_marks.py --seeds 301 302 [--kinds strategic_gap]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import datetime

import numpy as np

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.scoring import overlaps
from benchmarks.detector_worlds.workbench import Label
from dagster_project.detectors import marks
from dagster_project.detectors.channels import device_channels, fit_channels
from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.engine import consolidate, series_for_frames
from dagster_project.detectors.findings import FindingsBuilder, runs
from dagster_project.detectors.inputs import DetectorInputs
from dagster_project.detectors.series import Series, by_device

KINDS = ("strategic_gap", "calibration_timing")
RUN = {"strategic_gap": marks.strategic_gap_all, "calibration_timing": marks.calibration_timing_all}


def _episodes(kind: str, s: Series) -> tuple[dict[str, list[tuple[int, int]]], np.ndarray]:
    """The strata and clean hours the detector builds (as in marks.py)."""
    strata: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if kind == "strategic_gap":
        gap = ~s.valid & ~np.isin(s.state, ["stopped", "transition"])
        clean = s.usable & np.isfinite(s.compliance)
        for lo, hi in runs(gap):
            strata["sent but invalid" if s.present[lo] else "absent"].append((lo, hi))
    else:
        minutes = np.nan_to_num(s.marked_minutes) >= 20
        marked = np.isin(s.flag, ["C", "M"]) | minutes
        clean = s.usable & ~marked & np.isfinite(s.compliance)
        for lo, hi in runs(marked):
            strata[s.flag[lo] if s.flag[lo] in ("C", "M") else "marked minutes"].append((lo, hi))
    return dict(strata), clean


def describe(lab: Label, s: Series, group: list[Series], cfg: Config) -> str:
    strata, clean = _episodes(lab.anomaly_type, s)
    c = cfg[lab.anomaly_type]
    pred = marks.counterfactual(s, group, clean, int(c["context_hours"]))
    fitted = _by_channels(s, group, clean)
    out = [f"      running share {float(np.mean(s.running)):.2f} kind {s.source_kind}"]
    for name, eps in strata.items():
        by_ch = marks._context_ranks(s, eps, clean, None, fitted)
        _, _, mc, pc, psc = marks._test(by_ch, c["high_rank"])
        out.append(f"      {name} by channels alone: mean rank {mc:.2f} p {pc:.1e} sign {psc:.1e}")
        ranks = marks._context_ranks(s, eps, clean, None, pred)
        _, n, mean, p, p_sign = marks._test(ranks, c["high_rank"])
        inside = [
            (e, r) for e, r in zip(eps, ranks, strict=True) if lab.start <= s.times[e[0]] <= lab.end
        ]
        r_in = [r for _, r in inside if np.isfinite(r)]
        states = [str(s.state[lo]) for (lo, _), _ in inside]
        out.append(
            f"      {name}: {len(eps)} episodes, judged {n}, mean rank {mean:.2f} p {p:.1e}"
            f" sign p {p_sign:.1e}; in case {len(inside)} (ranked {len(r_in)},"
            f" mean {np.mean(r_in) if r_in else float('nan'):.2f}) states {states[:6]}"
        )
        out.append(
            "        in case: "
            + " ".join(f"{s.times[lo]:%d %H}h+{hi - lo + 1}:{r:.2f}" for (lo, hi), r in inside[:14])
        )
        rest = [(e, r) for e, r in zip(eps, ranks, strict=True) if (e, r) not in inside]
        listed = " ".join(
            f"{s.times[lo]:%m-%d %H}h+{hi - lo + 1}:{r:.2f}" for (lo, hi), r in rest[:14]
        )
        out.append(f"        others: {listed}")
    return "\n".join(out)


def _by_channels(s: Series, group: list[Series], clean: np.ndarray) -> np.ndarray:
    v = s.compliance
    logv = np.where(np.isfinite(v) & (v > 0), np.log(np.where(v > 0, v, 1.0)), np.nan)
    chans = device_channels(group, s)
    known = np.ones(len(s.times), bool)
    for ch in chans:
        known &= np.isfinite(ch)
    fitted = np.full(len(s.times), np.nan)
    fit = fit_channels(logv, chans, np.flatnonzero(clean & np.isfinite(logv) & known))
    if fit is not None:
        fitted[known] = fit.predict(chans, np.flatnonzero(known))
    return fitted


def _found(kind: str, series: list[Series], cfg: Config, w: world_b.World) -> list[dict]:
    fb = FindingsBuilder("diag")
    RUN[kind](series, cfg, fb)
    f = fb.frame()
    return consolidate(f, w.outlets).to_dicts() if f.height else []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(301, 311)))
    ap.add_argument("--kinds", nargs="*", default=list(KINDS))
    ap.add_argument("--all", action="store_true", help="describe hits too, not only the missed")
    args = ap.parse_args()
    cfg = load_config()
    total: dict[str, list[int]] = {k: [0, 0] for k in args.kinds}
    false_n: dict[str, int] = dict.fromkeys(args.kinds, 0)
    for seed in args.seeds:
        w = world_b.build(seed)
        inj = series_for_frames(DetectorInputs(w.injected, w.outlets, w.stack_tests), cfg)
        cln = series_for_frames(DetectorInputs(w.clean, w.outlets, w.clean_stack_tests), cfg)
        groups = {mn: list(g) for mn, g in by_device(inj).items()}
        for kind in args.kinds:
            labs = [lab for lab in w.labels if lab.anomaly_type == kind]
            mns = {lab.mn for lab in labs}
            rows = _found(kind, [s for s in inj if s.mn in mns], cfg, w)
            for lab in labs:
                hit = any(f["anomaly_type"] == kind and overlaps(f, lab) for f in rows)
                total[kind][0] += hit
                total[kind][1] += 1
                print(
                    f"{seed} {'HIT ' if hit else 'MISS'} {kind:<19} {lab.mn[-6:]} "
                    f"{lab.pollutant_code} {lab.start:%m-%d %H}h - {lab.end:%m-%d %H}h"
                )
                if hit and not args.all:
                    continue
                group = groups[lab.mn]
                s = next(x for x in group if x.pollutant_code == lab.pollutant_code)
                print(describe(lab, s, group, cfg))
            for f in _found(kind, cln, cfg, w):
                false_n[kind] += 1
                start: datetime = f["start_time"]
                print(f"{seed} FALSE {kind} {f['mn'][-6:]} {f['pollutant_code']} {start:%m-%d %H}")
    for k in args.kinds:
        print(f"{k:<22} recall {total[k][0]}/{total[k][1]}  false on clean {false_n[k]}")


if __name__ == "__main__":
    main()
