"""Plausibility of typed ledger values against the contracts' bounds (`contracts.Bounds`).

`check_bounds(frame, columns)` runs after `values.type_columns`: a value outside its hard
bounds adds `out_of_range:<column>` to the row's `reject_reason` and says why in
`reject_detail`; a value outside its warning bounds (or text outside the known values) leaves
the row loaded and writes the finding to `warnings`, one '; '-separated entry per column. A
value that did not parse is null here, so a row is never both `bad_value` and out of range for
the same column.
"""

from __future__ import annotations

import polars as pl

from dagster_project.feeds.contracts import Bounds, Column


def _outside(v: pl.Expr, low: float | None, high: float | None, exclusive: bool) -> pl.Expr:
    out = pl.lit(False)
    if low is not None:
        out = out | ((v <= low) if exclusive else (v < low))
    if high is not None:
        out = out | (v > high)
    return out.fill_null(False)


def _joined(parts: list[pl.Expr]) -> pl.Expr:
    if not parts:
        return pl.lit(None, pl.String)
    text = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(text.str.len_chars() > 0).then(text)


def _shown(col: str, b: Bounds) -> pl.Expr:
    return pl.lit(f"{col}=") + pl.col(col).cast(pl.String) + pl.lit(f" {b.unit}".rstrip())


def check_bounds(frame: pl.DataFrame, columns: tuple[Column, ...]) -> pl.DataFrame:
    """`frame` (typed, with `reject_reason`) with out-of-range reasons added, and the
    `reject_detail` and `warnings` columns."""
    reasons: list[pl.Expr] = []
    details: list[pl.Expr] = []
    warnings: list[pl.Expr] = []
    for col in columns:
        b = col.bounds
        if b is None:
            continue
        v = pl.col(col.name)
        if b.known:
            odd = v.is_not_null() & ~v.str.to_lowercase().is_in(list(b.known))
            text = pl.lit(f"{col.name}='") + v + pl.lit(f"' is not one of {', '.join(b.known)}")
            warnings.append(pl.when(odd).then(text))
            continue
        if b.low is not None or b.high is not None:
            bad = _outside(v, b.low, b.high, b.low_exclusive)
            reasons.append(pl.when(bad).then(pl.lit(f"out_of_range:{col.name}")))
            details.append(pl.when(bad).then(_shown(col.name, b) + pl.lit(f": {b.describe()}")))
        if b.warn_low is not None or b.warn_high is not None:
            odd = _outside(v, b.warn_low, b.warn_high, False)
            warnings.append(pl.when(odd).then(_shown(col.name, b) + pl.lit(f": {b.warn_basis}")))
    out_of_range = _joined(reasons)
    reason = pl.concat_str(
        [pl.col("reject_reason"), out_of_range], separator="; ", ignore_nulls=True
    )
    return frame.with_columns(
        reject_reason=pl.when(reason.str.len_chars() > 0).then(reason),
        reject_detail=_joined(details),
        warnings=_joined(warnings),
    )
