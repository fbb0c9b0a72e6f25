"""Text of the benchmark's report (printed, and appended to the results file with --record)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fallback.score import PollutantScore

TARGET_RATIO = 0.25  # total estimate within ±25 % of the total truth
TARGET_MEDIAN = 0.35  # median outlet-month error ≤ 35 %
TARGET_COVERAGE = 1.0  # every producing withheld outlet-month has an estimate
TOLERANCE_T = 1e-4  # tonnes: a balance is broken only beyond the marts' rounding


def _f(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def verdict(s: PollutantScore) -> str:
    """PASS when the pollutant meets all three targets of the issue, else what misses."""
    misses = []
    if s.ratio is None or abs(s.ratio - 1) > TARGET_RATIO:
        misses.append("total")
    if s.median_error is None or s.median_error > TARGET_MEDIAN:
        misses.append("median")
    if s.coverage is None or s.coverage < TARGET_COVERAGE:
        misses.append("coverage")
    return "PASS" if not misses else "miss " + ",".join(misses)


def score_table(scores: Sequence[PollutantScore]) -> list[str]:
    head = (
        f"{'pollutant':<9} {'o-months':>8} {'producing':>9} {'coverage':>8} {'truth t':>10} "
        f"{'estimate t':>10} {'est/truth':>9} {'median|err|':>11} {'p90|err|':>8} "
        f"{'est. stopped t':>14}  verdict"
    )
    lines = [head]
    for s in scores:
        lines.append(
            f"{s.pollutant:<9} {s.outlet_months:>8} {s.producing:>9} {_pct(s.coverage):>8} "
            f"{s.truth_t:>10.2f} {s.estimate_t:>10.2f} {_f(s.ratio):>9} "
            f"{_pct(s.median_error):>11} {_pct(s.p90_error):>8} {s.stopped_estimate_t:>14.2f}  "
            f"{verdict(s)}"
        )
    return lines


def method_table(scores: Sequence[PollutantScore]) -> list[str]:
    lines = ["methods behind the estimates of producing withheld outlet-months:"]
    for s in scores:
        for method, m in s.methods.items():
            lines.append(
                f"  {s.pollutant:<5} {method:<32} {m.outlet_months:>4} outlet-months  "
                f"truth {m.truth_t:>9.2f} t  estimate {m.estimate_t:>9.2f} t  "
                f"est/truth {_f(m.ratio)}"
            )
    return lines


def totals_table(
    full: dict[tuple[str, str], float], held: dict[tuple[str, str], float]
) -> list[str]:
    lines = [f"county totals (t) per pollutant and method: {'full':>10} {'withheld':>10}"]
    by_pollutant: dict[str, list[str]] = defaultdict(list)
    for p, m in sorted(set(full) | set(held)):
        by_pollutant[p].append(m)
    for p, methods in by_pollutant.items():
        for m in methods:
            lines.append(
                f"  {p:<5} {m:<36} {full.get((p, m), 0.0):>10.2f} {held.get((p, m), 0.0):>10.2f}"
            )
        ft = sum(v for (q, _), v in full.items() if q == p)
        ht = sum(v for (q, _), v in held.items() if q == p)
        lines.append(f"  {p:<5} {'all methods':<36} {ft:>10.2f} {ht:>10.2f}")
    return lines


@dataclass(frozen=True)
class Closure:
    """Closure checks of one build (see `score.Warehouses`)."""

    voc: list[tuple[str, str, float, float]]
    sulfur: list[tuple[str, str, float, float | None]]
    unit_months: list[tuple]

    def lines(self, label: str) -> list[str]:
        out = [f"closure checks, {label} build:"]
        over = sorted(
            ((e, n, em, b) for e, n, em, b in self.voc if em > b + TOLERANCE_T),
            key=lambda r: -(r[2] - r[3]),
        )
        emitted = sum(r[2] for r in self.voc)
        bought = sum(r[3] for r in self.voc)
        out.append(
            f"  VOC emitted > VOC bought: {len(over)} of {len(self.voc)} enterprises "
            f"(county: emitted {emitted:.2f} t of {bought:.2f} t bought)"
        )
        for e, n, em, b in over[:5]:
            times = f"x{em / b:.1f}" if b > 0 else "nothing bought"
            out.append(f"    {n or e}: {em:.3f} t emitted vs {b:.3f} t bought ({times})")
        with_s = [r for r in self.sulfur if r[3] is not None]
        over_s = sorted(
            ((e, n, so2, cap) for e, n, so2, cap in with_s if so2 > (cap or 0.0) + TOLERANCE_T),
            key=lambda r: -(r[2] - (r[3] or 0)),
        )
        no_s = [r for r in self.sulfur if r[3] is None and r[2] > 0]
        out.append(
            f"  SO2 > 2 x sulfur input: {len(over_s)} of {len(with_s)} enterprises with fuel "
            f"sulfur data; SO2 {sum(r[2] for r in with_s):.2f} t vs ceiling "
            f"{sum(r[3] or 0 for r in with_s):.2f} t"
        )
        for e, n, so2, cap in over_s[:5]:
            out.append(f"    {n or e}: {so2:.3f} t SO2 vs 2 x S = {cap:.3f} t")
        out.append(
            f"  SO2 where no fuel row gives a sulfur content: {len(no_s)} enterprises, "
            f"{sum(r[2] for r in no_s):.2f} t"
        )
        missing = [r for r in self.unit_months if not r[5]]
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in self.unit_months:
            per[r[0]][0] += 1
            per[r[0]][1] += 0 if r[5] else 1
        summary = ", ".join(f"{p} {m} of {n}" for p, (n, m) in sorted(per.items()))
        out.append(f"  producing unit-months without an estimate: {summary or 'none producing'}")
        kinds: dict[tuple[str, str], int] = defaultdict(int)
        for r in missing:
            kinds[(r[0], r[3])] += 1
        if kinds:
            out.append(
                "    by pollutant and unit kind: "
                + ", ".join(f"{p}/{k} {n}" for (p, k), n in sorted(kinds.items()))
            )
        return out
