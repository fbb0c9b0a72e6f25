"""Run every detector over the input frames: the SQL rules (through DuckDB, the same SQL dbt
builds) and the statistical detectors (polars/numpy/scipy), then consolidate the findings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from dagster_project.detectors import (
    copies,
    distribution,
    levels,
    marks,
    patterns,
    periods,
    reference,
    shifts,
    sql_rules,
)
from dagster_project.detectors.config import Config, load_config
from dagster_project.detectors.findings import FindingsBuilder, concat_findings, empty_findings
from dagster_project.detectors.inputs import DetectorInputs, write_inputs
from dagster_project.detectors.series import Series, cut, iter_series
from dagster_project.detectors.shards import (
    default_workers,
    device_frames,
    device_groups,
    run_sharded,
)

PER_SERIES: tuple[tuple[str, Callable[[Series, Config, FindingsBuilder], None]], ...] = (
    ("py.constant_value", levels.constant_value),
    ("py.narrow_band", levels.narrow_band),
    ("py.detection_limit_hugging", levels.detection_limit_hugging),
    ("py.bunching_below_limit", distribution.bunching_below_limit),
    ("py.capped_value", distribution.capped_value),
    ("py.digit_anomaly", distribution.digit_anomaly),
    ("py.step_rescale", shifts.step_and_rescale),
    ("py.periodic_pattern", patterns.periodic_pattern),
)
CROSS_SERIES: tuple[tuple[str, Callable[..., None]], ...] = (
    ("py.o2_dilution", shifts.o2_and_dilution),
    ("py.flow_load", shifts.flow_load),
    ("py.cross_sensor", shifts.cross_sensor),
    ("py.copy_paste", patterns.copy_paste),
    ("py.calibration_timing", marks.calibration_timing_all),
    ("py.strategic_gap", marks.strategic_gap_all),
    ("py.fingerprint_drift", patterns.fingerprint_drift),
    ("py.scaled_copy", copies.scaled_copies),
)
# Detectors that keep their per-day results between runs (the rest look at whole series: their
# thresholds come from each series' own statistics, so any new day may change any finding).
INCREMENTAL = ("py.copy_paste",)
# Detectors judged over the whole history, not month by month (periods.py): a day may be copied
# from any earlier day, and copy_paste keeps its per-day results between builds.
WHOLE_HISTORY = ("py.copy_paste",)

# Detectors that compare the series of different devices: they see every series at once. The
# others judge one device at a time, so their devices may be split between processes (shards).
ACROSS_DEVICES = ("py.copy_paste", "py.scaled_copy")
# The other detectors that compare devices: judged month by month, in this process.
ACROSS_MONTHS = tuple(name for name in ACROSS_DEVICES if name not in WHOLE_HISTORY)
ORDER = (
    *(name for name, _ in PER_SERIES),
    *(name for name, _ in CROSS_SERIES),
    "py.reference_disagreement",
)

# A more specific finding on the same outlet × pollutant (or device) explains a generic one.
SUPPRESSED_BY: dict[str, tuple[str, ...]] = {
    "narrow_band": ("constant_value", "zero_while_operating", "detection_limit_hugging"),
    "digit_anomaly": ("capped_value",),
    "fingerprint_drift": tuple(
        t
        for t in (
            "step_change",
            "rescaled_signal",
            "o2_manipulation",
            "dilution",
            "copy_paste",
            "periodic_pattern",
            "narrow_band",
            "constant_value",
            "cross_sensor_inconsistency",
            "flow_load_inconsistency",
            "zero_while_operating",
            "detection_limit_hugging",
            "bunching_below_limit",
            "capped_value",
            "digit_anomaly",
        )
    ),
}
# A level edit (x + c, k·x) leaves the values moving with the outlet's own channels hour to hour:
# it explains a fingerprint's features moving, not the values ceasing to follow those channels.
LEVEL_EDITS = ("step_change", "rescaled_signal")
DECOUPLED = "coupling_drop_t"  # statistic of a fingerprint_drift stretch that stopped following


def _blockers(r: dict) -> tuple[str, ...]:
    """The anomaly types whose findings explain finding `r` away where they overlap it."""
    blockers = SUPPRESSED_BY.get(r["anomaly_type"], ())
    if (
        r["anomaly_type"] == "fingerprint_drift"
        and json.loads(r["evidence"])["statistic"]["name"] == DECOUPLED
    ):
        return tuple(b for b in blockers if b not in LEVEL_EDITS)
    return blockers


# Detectors whose evidence stands on its own (another device's values, found equal): nothing
# explains their findings away.
CONCLUSIVE = ("py.scaled_copy",)


def judge(
    inputs: DetectorInputs,
    state: pl.DataFrame,
    cfg: Config,
    spans: Sequence[periods.Window | None],
    seconds: dict[str, float] | None = None,
    memos: dict[str, pl.DataFrame] | None = None,
    workers: int | None = None,
) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """For each of `spans` (a window's hours, or None: all of them), the findings of every
    detector but the whole-history ones (WHOLE_HISTORY) on the series cut to it; and the
    whole-history detectors' findings over all the hours.

    The series are built once and cut to each span as they would be built from the span's rows
    alone (`series.cut`). `seconds`, when given, receives each detector's seconds (and the
    series' building and cutting as "series"), summed over the worker processes, so a build can
    say where its time goes. `memos`, when given, holds what a detector that can work
    incrementally (copy_paste) kept from the previous run, and receives what it keeps from this
    one. `workers` processes judge the devices (default: `shards.default_workers` for the
    spans' hours); the findings are the same whatever their number."""
    p25 = cfg["sql"]["anomaly_o2_informative_p25"]
    per_span: list[dict[str, list[pl.DataFrame]]] = [{name: [] for name in ORDER} for _ in spans]
    whole: list[pl.DataFrame] = []
    n = workers if workers is not None else default_workers(_span_hours(inputs.hourly, spans))
    groups = device_groups(inputs.hourly, n) if n > 1 and spans else []

    def this_process() -> None:  # while the workers, if any, judge the devices
        series = _series(inputs, state, p25, seconds)
        for found, span in zip(per_span, spans, strict=True):
            part = _cut(series, span, seconds)
            if len(groups) <= 1:
                _add(found, _per_device(part, cfg, seconds))
            _add(found, _across_devices(part, cfg, seconds, None, ACROSS_MONTHS))
        whole.extend(_across_devices(series, cfg, seconds, memos, WHOLE_HISTORY).values())

    if len(groups) > 1:
        reach = _reach(inputs, state, spans)  # the workers need no hour outside the spans
        shards = [device_frames(*reach, mns) for mns in groups]
        for results, spent in run_sharded(
            _device_job, shards, cfg, list(spans), meanwhile=this_process
        ):
            for found, result in zip(per_span, results, strict=True):
                _add(found, result)
            for name, s in spent.items() if seconds is not None else ():
                seconds[name] = seconds.get(name, 0.0) + s
    else:
        this_process()
    timer = _Timer(seconds)
    for found, span in zip(per_span, spans, strict=True):
        fb = FindingsBuilder("py.reference_disagreement")
        hourly = span.hours(inputs.hourly) if span else inputs.hourly
        tests = span.overlapping(inputs.stack_tests) if span else inputs.stack_tests
        reference.reference_disagreement(hourly, inputs.outlets, tests, cfg, fb)
        found["py.reference_disagreement"].append(fb.frame())
    timer.lap("py.reference_disagreement")
    return [
        concat_findings(f for name in ORDER for f in found[name]) for found in per_span
    ], concat_findings(whole)


def _reach(
    inputs: DetectorInputs, state: pl.DataFrame, spans: Sequence[periods.Window | None]
) -> tuple[DetectorInputs, pl.DataFrame]:
    """The inputs and state of the hours from the spans' first to their last."""
    if any(span is None for span in spans):
        return inputs, state
    first = min(span.start for span in spans if span)
    last = max(span.end for span in spans if span)
    hours = pl.col("hour_start").is_between(first, last)
    part = DetectorInputs(inputs.hourly.filter(hours), inputs.outlets, inputs.stack_tests)
    return part, state.filter(hours)


def _span_hours(hourly: pl.DataFrame, spans: Sequence[periods.Window | None]) -> int:
    return sum(span.hours(hourly).height if span else hourly.height for span in spans)


def _cut(
    series: list[Series], span: periods.Window | None, seconds: dict[str, float] | None
) -> list[Series]:
    if span is None:
        return series
    timer = _Timer(seconds)
    part = [c for s in series if (c := cut(s, span.start, span.end)) is not None]
    timer.lap("series")
    return part


WINDOW_DIGEST = "window_digest"
WINDOWS_SCHEMA: dict[str, pl.DataType] = {
    WINDOW_DIGEST: pl.String(),
    "window_start": pl.Datetime("us"),
    "window_end": pl.Datetime("us"),
    "months_from": pl.Datetime("us"),
    "months_until": pl.Datetime("us"),
}


@dataclass
class MonthFindings:
    """The month windows of a build (WINDOWS_SCHEMA) and their findings (the findings contract
    and each finding's window digest): what the next build keeps where a digest is unchanged."""

    windows: pl.DataFrame
    findings: pl.DataFrame


@dataclass
class Judged:
    """The statistical detectors' findings over every month (`findings`); the month windows and
    their part of them (`months`); how many windows were judged and how many kept their findings
    from the previous build."""

    findings: pl.DataFrame
    months: MonthFindings
    judged: int
    kept: int


def judge_by_month(
    inputs: DetectorInputs,
    state: pl.DataFrame,
    cfg: Config,
    seconds: dict[str, float] | None = None,
    memos: dict[str, pl.DataFrame] | None = None,
    workers: int | None = None,
    kept: MonthFindings | None = None,
) -> Judged:
    """The statistical detectors month by month (periods.py): each month window's findings, or,
    where the window's digest is among `kept` (a previous build's `months`), the findings kept
    for it; the whole-history detectors (WHOLE_HISTORY) over all the hours, once."""
    hours = inputs.hourly.get_column("hour_start")
    wins = periods.windows(hours.min(), hours.max()) if inputs.hourly.height else []  # type: ignore[arg-type]
    digests = periods.digests(
        wins,
        inputs.hourly,
        state,
        _device_facts(state, cfg),
        inputs.outlets,
        inputs.stack_tests,
        periods.code_signature(json.dumps(cfg, sort_keys=True, default=str)),
    )
    stored = kept.findings if kept is not None else _empty_by_window()
    known = set(kept.windows.get_column(WINDOW_DIGEST).to_list()) if kept is not None else set()
    todo = [(w, d) for w, d in zip(wins, digests, strict=True) if d not in known]
    found, whole = judge(inputs, state, cfg, [w for w, _ in todo], seconds, memos, workers)
    parts = [stored.filter(pl.col(WINDOW_DIGEST).is_in(set(digests) & known))]
    parts += [
        periods.clip(f, w).with_columns(pl.lit(d).alias(WINDOW_DIGEST))
        for (w, d), f in zip(todo, found, strict=True)
    ]
    by_window = pl.concat([_empty_by_window(), *parts], how="vertical_relaxed")
    windows = pl.DataFrame(
        [(d, w.start, w.end, w.first, w.until) for w, d in zip(wins, digests, strict=True)],
        schema=WINDOWS_SCHEMA,
        orient="row",
    )
    return Judged(
        findings=concat_findings([by_window, whole]),
        months=MonthFindings(windows, by_window),
        judged=len(todo),
        kept=len(wins) - len(todo),
    )


def _empty_by_window() -> pl.DataFrame:
    return empty_findings().with_columns(pl.lit(None, pl.String).alias(WINDOW_DIGEST))


def _device_facts(state: pl.DataFrame, cfg: Config) -> pl.DataFrame:
    """What the detectors read of a device's state as a whole: whether its O2 is informative."""
    p25 = cfg["sql"]["anomaly_o2_informative_p25"]
    return (
        state.group_by("mn")
        .agg((pl.col("o2_p25").first() < p25).alias("o2_informative"))
        .sort("mn")
    )


def _series(
    inputs: DetectorInputs, state: pl.DataFrame, p25: float, seconds: dict[str, float] | None
) -> list[Series]:
    timer = _Timer(seconds)
    series = list(iter_series(inputs, state, p25))
    timer.lap("series")
    return series


def _per_device(
    series: list[Series], cfg: Config, seconds: dict[str, float] | None
) -> dict[str, pl.DataFrame]:
    """The findings of every detector that judges one device at a time."""
    timer = _Timer(seconds)
    found = {}
    for name, fn in PER_SERIES:
        fb = FindingsBuilder(name)
        for s in series:
            fn(s, cfg, fb)
        found[name] = fb.frame()
        timer.lap(name)
    for name, fn in CROSS_SERIES:
        if name not in ACROSS_DEVICES:
            fb = FindingsBuilder(name)
            fn(series, cfg, fb)
            found[name] = fb.frame()
            timer.lap(name)
    return found


def _across_devices(
    series: list[Series],
    cfg: Config,
    seconds: dict[str, float] | None,
    memos: dict[str, pl.DataFrame] | None,
    names: tuple[str, ...],
) -> dict[str, pl.DataFrame]:
    """The findings of the detectors `names` that compare devices, given every series."""
    timer = _Timer(seconds)
    found = {}
    for name, fn in CROSS_SERIES:
        if name in names:
            fb = FindingsBuilder(name)
            if name in INCREMENTAL and memos is not None:
                memos[name] = fn(series, cfg, fb, memos.get(name))
            else:
                fn(series, cfg, fb)
            found[name] = fb.frame()
            timer.lap(name)
    return found


def _device_job(
    cfg: Config,
    spans: list[periods.Window | None],
    *,
    hourly: pl.DataFrame,
    outlets: pl.DataFrame,
    state: pl.DataFrame,
) -> tuple[list[dict[str, pl.DataFrame]], dict[str, float]]:
    """A worker process's share: the per-device detectors over its devices in each span, and
    its seconds."""
    spent: dict[str, float] = {}
    inputs = DetectorInputs(hourly, outlets)
    series = _series(inputs, state, cfg["sql"]["anomaly_o2_informative_p25"], spent)
    return [_per_device(_cut(series, span, spent), cfg, spent) for span in spans], spent


def _add(frames: dict[str, list[pl.DataFrame]], found: dict[str, pl.DataFrame]) -> None:
    for name, frame in found.items():
        frames[name].append(frame)


class _Timer:
    """Wall seconds since the previous lap, into a dict (nothing when there is none)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[name] = self.into.get(name, 0.0) + now - self.t
        self.t = now


def consolidate(findings: pl.DataFrame, outlets: pl.DataFrame) -> pl.DataFrame:
    """Drop generic findings explained by a specific one; attach outlet and enterprise."""
    if findings.height == 0:
        return empty_findings()
    f = findings.unique("anomaly_id", keep="first")
    keep = []
    rows = f.to_dicts()
    for r in rows:
        blockers = _blockers(r)
        device_wide = r["anomaly_type"] == "fingerprint_drift"
        explained = r["detector"] not in CONCLUSIVE and any(
            o["anomaly_type"] in blockers
            and o["mn"] == r["mn"]
            and (device_wide or o["pollutant_code"] in (None, r["pollutant_code"]))
            and o["start_time"] <= r["end_time"]
            and o["end_time"] >= r["start_time"]
            for o in rows
            if o is not r
        )
        keep.append(not explained)
    f = f.filter(pl.Series(keep))
    ids = outlets.group_by("mn").agg(
        pl.col("outlet_id").first().alias("_o"), pl.col("enterprise_id").first().alias("_e")
    )
    return (
        f.join(ids, on="mn", how="left")
        .with_columns(
            pl.coalesce("outlet_id", "_o").alias("outlet_id"),
            pl.coalesce("enterprise_id", "_e").alias("enterprise_id"),
        )
        .drop("_o", "_e")
        # a total order (the id last), so the stored findings come in the same order whatever
        # order the detectors and the SQL rules returned them in
        .sort(
            "mn",
            "start_time",
            "anomaly_type",
            "pollutant_code",
            "end_time",
            "anomaly_id",
            nulls_last=True,
        )
    )


def read_sql_findings(
    con: duckdb.DuckDBPyConnection, schema: str = sql_rules.SCHEMA
) -> pl.DataFrame:
    frames = [con.sql(f"select * from {schema}.{m}").pl() for m in sql_rules.RULE_MODELS]
    return concat_findings(frames)


def _scratch_rules(inputs: DetectorInputs, cfg: Config) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The SQL rules over in-memory frames in a scratch DuckDB: the hourly state, the findings."""
    con = duckdb.connect()
    try:
        write_inputs(con, inputs)
        sql_rules.run_all(con, cfg)
        state = con.sql(f"select * from {sql_rules.SCHEMA}.{sql_rules.STATE_MODEL}").pl()
        return state, read_sql_findings(con)
    finally:
        con.close()


def series_for_frames(inputs: DetectorInputs, cfg: Config | None = None) -> list[Series]:
    """The detectors' series for in-memory frames (tests, diagnostics), as detectors see them."""
    cfg = cfg or load_config()
    state, _ = _scratch_rules(inputs, cfg)
    return list(iter_series(inputs, state, cfg["sql"]["anomaly_o2_informative_p25"]))


def detect_frames(
    inputs: DetectorInputs, cfg: Config | None = None, workers: int | None = None
) -> pl.DataFrame:
    """All findings for in-memory frames (tests, benchmark): SQL rules in a scratch DuckDB."""
    cfg = cfg or load_config()
    state, sql_findings = _scratch_rules(inputs, cfg)
    py_findings = judge_by_month(inputs, state, cfg, workers=workers).findings
    return consolidate(concat_findings([sql_findings, py_findings]), inputs.outlets)
