"""The mutable workbench both worlds' fault injectors edit: clean hourly frames as numpy columns per
outlet × pollutant, the labels of what was injected, and the allocation of one case per anomaly
type to outlets so that cases do not mask each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl
import polars.selectors as cs

from dagster_project.detectors.inputs import HOURLY_SCHEMA, STACK_TEST_SCHEMA


@dataclass
class Label:
    anomaly_type: str
    mn: str
    pollutant_code: str | None
    start: datetime
    end: datetime


@dataclass
class Workbench:
    """Clean data as mutable numpy columns per outlet × pollutant."""

    cols: dict[tuple[str, str], dict[str, np.ndarray]]
    outlets: pl.DataFrame
    rng: np.random.Generator
    labels: list[Label] = field(default_factory=list)
    stack_tests: list[dict] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @classmethod
    def from_frames(cls, hourly: pl.DataFrame, outlets: pl.DataFrame, seed: int) -> Workbench:
        cols = {}
        for (mn, pol), g in hourly.sort("hour_start").group_by(
            ["mn", "pollutant_code"], maintain_order=True
        ):
            cols[(mn, pol)] = {
                c: g[c].to_numpy().copy()
                if c not in ("flag",)
                else g[c].fill_null("N").to_numpy().astype(object).copy()
                for c in HOURLY_SCHEMA
                if c not in ("mn", "pollutant_code")
            }
            cols[(mn, pol)]["hour_start"] = np.array(g["hour_start"].to_list(), dtype=object)
            cols[(mn, pol)]["drop"] = np.zeros(g.height, bool)
        return cls(cols, outlets, np.random.default_rng(seed))

    def meta(self, mn: str, pol: str) -> dict:
        r = self.outlets.filter((pl.col("mn") == mn) & (pl.col("pollutant_code") == pol))
        return r.row(0, named=True)

    def pols(self, mn: str) -> list[str]:
        return [p for m, p in self.cols if m == mn]

    def running(self, mn: str, pol: str) -> np.ndarray:
        c = self.cols[(mn, pol)]
        return c["flow_m3_s"] > 0.25 * np.nanpercentile(c["flow_m3_s"], 95)

    def recompute(self, mn: str, pol: str, idx: np.ndarray, converted: bool = True) -> None:
        c, m = self.cols[(mn, pol)], self.meta(mn, pol)
        c["avg_measured"][idx] = np.round(c["avg_measured"][idx], 2)
        if converted and m["reference_o2"] is not None:
            o2 = np.minimum(c["o2"][idx], 20.9)
            c["avg_converted"][idx] = np.round(
                c["avg_measured"][idx] * (21 - m["reference_o2"]) / (21 - o2), 2
            )
        c["mass_kg"][idx] = np.round(c["avg_measured"][idx] * c["flow_m3_s"][idx] * 3.6e-3, 5)
        c["minute_mean"][idx] = c["avg_measured"][idx]

    def set_measured(
        self, mn: str, pol: str, idx: np.ndarray, measured: np.ndarray | float
    ) -> None:
        """Set the measured value and derive converted, mass and minute mean consistently."""
        self.cols[(mn, pol)]["avg_measured"][idx] = measured
        self.recompute(mn, pol, idx)

    def set_converted(self, mn: str, pol: str, idx: np.ndarray, conv: np.ndarray) -> None:
        """Set the compliance value and derive measured consistently."""
        c, m = self.cols[(mn, pol)], self.meta(mn, pol)
        if m["reference_o2"] is not None:
            c["avg_measured"][idx] = conv * (21 - c["o2"][idx]) / (21 - m["reference_o2"])
        else:
            c["avg_measured"][idx] = conv
        self.recompute(mn, pol, idx)

    def compliance(self, mn: str, pol: str) -> np.ndarray:
        c, m = self.cols[(mn, pol)], self.meta(mn, pol)
        return c["avg_converted"] if m["reference_o2"] is not None else c["avg_measured"]

    def window(
        self,
        mn: str,
        pol: str,
        hours: int,
        running_share: float = 1.0,
        within: tuple[int, int] | None = None,
    ) -> np.ndarray | None:
        """Indices of a random window of `hours` consecutive grid hours that is mostly running."""
        run = self.running(mn, pol)
        lo, hi = within or (48, run.size - hours - 48)
        starts = [
            s for s in range(lo, max(lo, hi), 6) if run[s : s + hours].mean() >= running_share
        ]
        if not starts:
            return None
        s = int(self.rng.choice(starts))
        return np.arange(s, s + hours)

    def label(self, t: str, mn: str, pol: str | None, idx: np.ndarray) -> None:
        times = self.cols[(mn, pol or self.pols(mn)[0])]["hour_start"]
        self.labels.append(Label(t, mn, pol, times[int(idx[0])], times[int(idx[-1])]))
        self.used.add(mn)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        parts = []
        for (mn, pol), c in self.cols.items():
            keep = ~c["drop"]
            d = {
                k: (list(v[keep]) if k in ("hour_start", "flag") else v[keep])
                for k, v in c.items()
                if k != "drop"
            }
            parts.append(pl.DataFrame({"mn": mn, "pollutant_code": pol, **d}, strict=False))
        hourly = pl.concat(parts, how="diagonal_relaxed")
        # numpy holds an absent value (no reference O2, no minute data) as NaN: back to null
        hourly = hourly.with_columns(cs.float().fill_nan(None)).select(
            [pl.col(k).cast(t) for k, t in HOURLY_SCHEMA.items()]
        )
        tests = pl.DataFrame(self.stack_tests, schema=STACK_TEST_SCHEMA)
        return hourly, tests


Case = Callable[[Workbench, str, str], bool]


def allocate(
    wb: Workbench,
    cases: dict[str, Case],
    types: tuple[str, ...],
    long_or_device: set[str],
    per_type: int = 1,
) -> None:
    """Inject `per_type` cases of every type, each on an outlet × pollutant drawn at random.

    One case per outlet where possible, so cases do not mask each other; a used outlet is taken
    again only for a short pollutant-level case on a pollutant not yet touched, and never beside
    a long or device-level case."""
    keys = list(wb.cols)
    taken: set[tuple[str, str]] = set()
    for t in types:
        for _ in range(per_type):
            order = [int(i) for i in wb.rng.permutation(len(keys))]
            fresh = [i for i in order if keys[i][0] not in wb.used]
            reuse = [
                i
                for i in order
                if keys[i][0] in wb.used
                and keys[i] not in taken
                and t not in long_or_device
                and not any(
                    lab.mn == keys[i][0] and lab.anomaly_type in long_or_device for lab in wb.labels
                )
            ]
            for i in fresh + reuse:
                mn, pol = keys[i]
                if cases[t](wb, mn, pol):
                    taken.add((mn, pol))
                    break
