"""Risk ranking of enterprises and outlets from the findings.

Score = Σ severity weight × type weight over findings, with each type's contribution capped so one
noisy rule cannot dominate, divided by the months of data (findings per outlet-month). Distinct
behaviour types count more than repeats: an outlet with capped values, O2 shifts and copied days
outranks one with many single-hour gaps.
"""

from __future__ import annotations

import polars as pl

SEVERITY_WEIGHT = {"high": 5.0, "medium": 2.0, "low": 0.5}
PER_TYPE_CAP = 3  # at most three findings of one type count per outlet

RANKING_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "rank": pl.Int64(),
    "enterprise_id": pl.String(),
    "outlet_id": pl.String(),
    "mn": pl.String(),
    "findings": pl.Int64(),
    "high": pl.Int64(),
    "medium": pl.Int64(),
    "low": pl.Int64(),
    "distinct_types": pl.Int64(),
    "types": pl.String(),
    "months": pl.Float64(),
    "score": pl.Float64(),
}


def rank(findings: pl.DataFrame, outlet_months: pl.DataFrame) -> pl.DataFrame:
    """`outlet_months`: mn, outlet_id, enterprise_id, months (of data)."""
    if findings.height == 0:
        return pl.DataFrame(schema=RANKING_SCHEMA)
    f = findings.with_columns(
        pl.col("severity").replace_strict(SEVERITY_WEIGHT, default=1.0).alias("w"),
        pl.col("anomaly_id").cum_count().over(["mn", "anomaly_type"]).alias("nth"),
    ).with_columns(
        pl.when(pl.col("nth") <= PER_TYPE_CAP).then(pl.col("w")).otherwise(0.0).alias("w")
    )
    per_outlet = f.group_by("mn").agg(
        pl.len().cast(pl.Int64).alias("findings"),
        (pl.col("severity") == "high").sum().cast(pl.Int64).alias("high"),
        (pl.col("severity") == "medium").sum().cast(pl.Int64).alias("medium"),
        (pl.col("severity") == "low").sum().cast(pl.Int64).alias("low"),
        pl.col("anomaly_type").n_unique().cast(pl.Int64).alias("distinct_types"),
        pl.col("anomaly_type").unique().sort().str.join(",").alias("types"),
        pl.col("w").sum().alias("raw"),
    )
    om = outlet_months.select("mn", "outlet_id", "enterprise_id", "months")
    outlets = (
        per_outlet.join(om, on="mn", how="left")
        .with_columns(pl.col("months").fill_null(1.0).clip(lower_bound=1.0))
        .with_columns(
            (pl.col("raw") * (1 + 0.25 * (pl.col("distinct_types") - 1)) / pl.col("months")).alias(
                "score"
            )
        )
    )
    ent = (
        outlets.group_by("enterprise_id")
        .agg(
            pl.lit(None, pl.String).alias("outlet_id"),
            pl.lit(None, pl.String).alias("mn"),
            pl.col("findings").sum(),
            pl.col("high").sum(),
            pl.col("medium").sum(),
            pl.col("low").sum(),
            pl.col("types")
            .str.split(",")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .str.join(",")
            .alias("types"),
            pl.col("months").max(),
            pl.col("score").sum(),
        )
        .with_columns(
            pl.col("types").str.split(",").list.len().cast(pl.Int64).alias("distinct_types")
        )
    )
    out = []
    for level, frame in (("enterprise", ent), ("outlet", outlets)):
        # ties broken by findings and ids, so two builds of the same data rank alike
        frame = frame.sort(
            [pl.col("score").round(9), "findings", "enterprise_id", "mn"],
            descending=[True, True, False, False],
            nulls_last=True,
        ).with_columns(
            pl.lit(level).alias("level"), pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("rank")
        )
        out.append(frame.select([pl.col(c).cast(t) for c, t in RANKING_SCHEMA.items()]))
    return pl.concat(out)
