"""Value rows of usable data packets: CP items as numbers, Flag/EFlag/SampleTime joined per
code (and per split set), packet columns gathered by packet number, units per station."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
import polars as pl

from dagster_project import warehouse
from dagster_project.hj212 import bounds, codes, fields

# Columns of a value row that come from its packet (`packet_columns`) and from its item.
PACKET_COLUMNS = (
    "source_file",
    "line_no",
    "qn",
    "st",
    "cn",
    "mn",
    "protocol_version",
    "data_time",
    "crc_variant",
    "length_ok",
    "pno",
)
ITEM_COLUMNS = (
    "pollutant_code",
    "field",
    "value",
    "flag",
    "flag_2017",
    "unit",
    "code_sent",
    "eflag",
    "sample_time",
)

VALUE_EXTRA_COLUMNS = (
    "crc_variant",
    "unit",
    "code_sent",
    "eflag",
    "length_ok",
    "pno",
    "sample_time",
)


CAT = pl.Categorical

# The value rows' columns as the parser gives them (repeated strings as categoricals).
VALUES_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "source_file": CAT,
    "line_no": pl.Int64,
    "qn": pl.String,
    **dict.fromkeys(("st", "cn", "mn", "protocol_version"), CAT),
    "data_time": pl.Datetime("us"),
    "pollutant_code": CAT,
    "field": CAT,
    "value": pl.Float64,
    "flag": CAT,
    "flag_2017": CAT,
    "crc_variant": CAT,
    "unit": CAT,
    "code_sent": CAT,
    "eflag": CAT,
    "length_ok": pl.Boolean,
    "pno": pl.Int32,
    "sample_time": pl.Datetime("us"),
}
assert list(VALUES_SCHEMA) == [*warehouse.CEMS_VALUES_COLUMNS, *VALUE_EXTRA_COLUMNS]


class CpItems(NamedTuple):
    attrs: pl.DataFrame  # Flag/EFlag/SampleTime items
    values: pl.DataFrame  # value items with a numeric `value`
    bad_value: pl.Series  # packets with a value that is not a number, or a malformed attribute
    out_of_range: pl.DataFrame  # pkt, reason, detail: packets with an impossible reading


def cp_items(
    chunk: pl.DataFrame,
    protocol_version: pl.Series,
    irregular: Callable[[pl.DataFrame], pl.Series],
) -> CpItems:
    """The CP items of usable data packets, and the packets whose items reject them.

    Value items get the `-Flag` of their code when it sits in the same run of items of that
    code in the same packet (the usual `code-Avg=..,code-Flag=N` layout), by run numbers
    instead of a join; `value_rows` joins the rest."""
    items = fields.explode_items(chunk.select("pkt", "cp", "cp_fast"), irregular)
    items = items.with_row_index("row")
    attrs = items.filter(pl.col("field").is_in(["Flag", "EFlag", "SampleTime"]))
    code_id = items.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
    key = (items.get_column("pkt").cast(pl.UInt64) * (1 << 32) + code_id).to_numpy()
    run = np.cumsum(np.concatenate(([True], key[1:] != key[:-1]))) - 1 if len(key) else key
    is_flag = (
        (items.get_column("field") == "Flag") & items.get_column("code").is_not_null()
    ).to_numpy()
    flag_rows = np.flatnonzero(is_flag)
    last_flag = np.full(int(run[-1]) + 1 if len(run) else 0, -1, dtype=np.int64)
    last_flag[run[flag_rows]] = np.arange(len(flag_rows))
    flags = items[flag_rows].select("pkt", "val")
    flags = flags.with_columns(
        protocol_version=protocol_version.gather(flags.get_column("pkt"))
    ).select(*flag_columns("val"))

    value_items, bad, out_of_range = numeric_values(
        items.filter(pl.col("code").is_not_null() & ~pl.col("is_attribute"))
    )
    # an attribute with a second `=` (`a21026-Flag=N=…`) is malformed, not a flag to keep
    malformed = attrs.filter(~pl.col("has_eq") & (pl.col("val").str.len_bytes() > 0))
    if malformed.height:
        bad = pl.concat([bad, malformed.get_column("pkt")]).unique()
    pos = last_flag[run[value_items.get_column("row").to_numpy()]]
    pos_s = pl.Series(pos, dtype=pl.Int64)
    pos_s = pl.select(pl.when(pos_s >= 0).then(pos_s)).to_series()
    value_items = value_items.select(
        "pkt", "code", "field", "pollutant_code", "default_unit", "value"
    ).with_columns(
        flag=flags.get_column("flag").gather(pos_s),
        flag_2017=flags.get_column("flag_2017").gather(pos_s),
    )
    return CpItems(attrs.drop("row"), value_items, bad, out_of_range)


def numeric_values(items: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Value items with `value` as a double, the packets holding a value that is not a
    number, and the packets holding a reading outside its physical bound (bounds.py; the
    first such item of each packet names the reason). Empty values stay as nulls; text in an
    unknown vendor field is left out. The slow checks run only on the few items whose plain
    cast failed."""
    value = fields.numeric_fast(items.get_column("val"))
    null_idx = np.flatnonzero(value.is_null().to_numpy())
    keep = items.get_column("has_eq").to_numpy().copy()
    bad = pl.Series("pkt", [], dtype=items.schema["pkt"])
    if len(null_idx):
        sub = items[null_idx]
        stripped = sub.get_column("val").str.strip_chars()
        retry = fields.numeric_fast(stripped)
        text = retry.is_null() & (stripped.str.len_bytes() > 0)
        broken = text & (sub.get_column("known_field") | ~sub.get_column("has_eq"))
        bad = sub.get_column("pkt").filter(broken).unique()
        value = value.scatter(null_idx, retry)
        keep[null_idx[text.to_numpy()]] = False
    out = items.with_columns(value=value)
    far = bounds.outside(value.to_numpy(), items.get_column("bound_id").to_numpy())
    out_of_range = _out_of_range(out[far])
    return (out if keep.all() else out.filter(pl.Series(keep))), bad, out_of_range


def _out_of_range(items: pl.DataFrame) -> pl.DataFrame:
    """pkt, reason (`out_of_range:<code>-<field>`) and detail of the first impossible reading
    of each packet among `items`."""
    first = items.unique("pkt", keep="first", maintain_order=True)
    details = [
        f"{code}-{field}={bounds.describe(pollutant, value)}"
        for code, field, pollutant, value in first.select(
            "code", "field", "pollutant_code", "value"
        ).iter_rows()
    ]
    return first.select(
        "pkt",
        reason=pl.lit("out_of_range:")
        + pl.col("code").cast(pl.String)
        + pl.lit("-")
        + pl.col("field").cast(pl.String),
        detail=pl.Series(details, dtype=pl.String),
    )


def packet_columns(packets: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The packet-level output columns (PACKET_COLUMNS), one row per `pkt`, computed once for
    all value rows."""
    return packets.select(
        pl.col("file_idx")
        .replace_strict(dict(enumerate(names)), return_dtype=pl.String)
        .cast(CAT)
        .alias("source_file"),
        "line_no",
        "qn",  # one per packet: not worth a category
        *(pl.col(c).cast(CAT) for c in ("st", "cn", "mn", "protocol_version")),
        "data_time",
        crc_variant=pl.when(pl.col("modbus"))
        .then(pl.lit("modbus_le"))
        .otherwise(pl.lit("hj212"))
        .cast(CAT),
        length_ok="length_ok",
        pno="pno",
    )


def value_rows(
    packets: pl.DataFrame,
    attrs: pl.DataFrame,
    value_items: pl.DataFrame,
) -> pl.DataFrame:
    """Long-format values of the usable data packets (`pkt` and ITEM_COLUMNS: the packet's own
    columns stay in `packet_columns`, one row per packet), with flags joined per code and set.
    `packets` is indexed by `pkt` (row number); flags join on one integer key (set, code)."""
    usable = packets.get_column("reason").is_null() & packets.get_column("is_data")
    set_key = packets.get_column("set_key").cast(pl.UInt64)

    all_usable = bool(usable.all())

    def of_usable(df: pl.DataFrame) -> pl.DataFrame:
        return df if all_usable else df.filter(usable.gather(df.get_column("pkt")))

    def keyed(df: pl.DataFrame) -> pl.DataFrame:
        idx = df.get_column("pkt")
        code_id = df.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
        sets = set_key.gather(idx)
        return df.with_columns(set_key=sets, key=sets * (1 << 32) + code_id)

    def by_key(field: str, col: str) -> pl.DataFrame:
        """The first `code-<field>` value per (set, code) key."""
        part = attrs.filter(pl.col("code").is_not_null() & (pl.col("field") == field))
        if not part.height:
            return pl.DataFrame(schema={"key": pl.UInt64, col: pl.String, "set_key": pl.UInt64})
        return (
            keyed(of_usable(part))
            .group_by("key")
            .agg(pl.col("val").first().alias(col), set_key=pl.col("set_key").first())
        )

    v = of_usable(value_items)
    missing = v.get_column("flag").is_null()
    flag = by_key("Flag", "flag") if missing.any() else pl.DataFrame()
    eflag = by_key("EFlag", "eflag").drop("set_key")
    sample = by_key("SampleTime", "sample_time").drop("set_key")
    if flag.height or eflag.height or sample.height:  # (set, code) keys, only when needed
        v = keyed(v).drop("set_key")
    if flag.height:  # flags elsewhere in the packet or its split set
        flag = flag.with_columns(
            protocol_version=packets.get_column("protocol_version").gather(
                flag.get_column("set_key")
            )
        ).select("key", *flag_columns("flag"))
        idx = pl.Series(np.flatnonzero(missing.to_numpy()))
        found = v[idx].select("key").join(flag, on="key", how="left", maintain_order="left")
        v = v.with_columns(
            flag=v.get_column("flag").scatter(idx, found.get_column("flag")),
            flag_2017=v.get_column("flag_2017").scatter(idx, found.get_column("flag_2017")),
        )
    # a bare `Flag=` in the CP (no pollutant prefix) applies to codes without their own flag
    bare = of_usable(attrs.filter(pl.col("code").is_null() & (pl.col("field") == "Flag")))
    bare = (
        bare.with_columns(set_key=set_key.gather(bare.get_column("pkt")))
        .group_by("set_key")
        .agg(flag=pl.col("val").first())
    )
    bare = bare.with_columns(
        protocol_version=packets.get_column("protocol_version").gather(bare.get_column("set_key"))
    ).select("set_key", *(c.name.prefix("packet_") for c in flag_columns("flag")))
    v = (
        v.join(eflag, on="key", how="left", maintain_order="left")
        if eflag.height
        else v.with_columns(eflag=pl.lit(None, pl.String))
    )
    v = (  # the sampling time of water pollutants (code-SampleTime), per code like EFlag
        v.join(sample, on="key", how="left", maintain_order="left")
        if sample.height
        else v.with_columns(sample_time=pl.lit(None, pl.String))
    )
    if bare.height:
        v = (
            v.with_columns(set_key=set_key.gather(v.get_column("pkt")))
            .join(bare, on="set_key", how="left", maintain_order="left")
            .with_columns(
                flag=pl.coalesce("flag", "packet_flag"),
                flag_2017=pl.coalesce("flag_2017", "packet_flag_2017"),
            )
        )
    out = v.select(
        "pkt",
        "pollutant_code",
        "field",
        "value",
        "flag",
        "flag_2017",
        pl.col("default_unit").alias("unit"),  # units() adjusts it per station later
        pl.col("code").alias("code_sent"),
        pl.col("eflag").cast(CAT),
        fields.parse_time(pl.col("sample_time")).alias("sample_time"),
    )
    assert out.columns == ["pkt", *ITEM_COLUMNS]
    return out


def long_values(items: pl.DataFrame, packet_cols: pl.DataFrame) -> pl.DataFrame:
    """Value rows in the contract's columns: the items with their packet's columns gathered."""
    pk = packet_cols[items.get_column("pkt")]
    v = pl.concat([items.drop("pkt"), pk], how="horizontal")
    return v.select(*VALUES_SCHEMA)


def flag_columns(name: str) -> list[pl.Expr]:
    """The flag as sent and its HJ 212-2017 reading (2005 meanings mapped), as categoricals."""
    sent = pl.col(name)
    flag_2017 = (
        pl.when(pl.col("protocol_version") == "2005")
        .then(sent.replace_strict(codes.FLAG_2005_TO_2017, default=sent, return_dtype=pl.String))
        .otherwise(sent)
    )
    return [sent.cast(CAT).alias("flag"), flag_2017.cast(CAT).alias("flag_2017")]


def units(
    items: pl.DataFrame,
    packet_mn: pl.Series,
    station_units: Mapping[str, Mapping[str, str]] | None,
) -> pl.Series:
    """Unit per value row: a station override, else Pa where a station's pressure readings are
    Pa-sized, else the standard's default for the code (`unit` holds it on the way in).
    `items` are value rows by `pkt`; `packet_mn` is each packet's MN."""
    pressure = pl.col("pollutant_code").is_in(list(codes.PA_OR_KPA_CODES))
    readings = items.filter(pressure & pl.col("field").is_in(["Rtd", "Avg"]))
    level = (
        readings.with_columns(mn=packet_mn.gather(readings.get_column("pkt")))
        .group_by("mn", "pollutant_code")
        .agg(level=pl.col("value").abs().median())
        .filter(pl.col("level") > codes.PA_THRESHOLD)
        .select("mn", "pollutant_code", pa=pl.lit(True))
    )
    overrides = [(mn, c, u) for mn, m in (station_units or {}).items() for c, u in m.items()]
    if not level.height and not overrides:
        return items.get_column("unit")
    v = items.with_columns(mn=packet_mn.gather(items.get_column("pkt")))
    keys = v.select(
        pl.col("mn").cast(pl.String),
        pl.col("pollutant_code").cast(pl.String),
        pl.col("field").cast(pl.String),
        pl.col("unit").cast(pl.String).alias("default_unit"),
    )
    level = level.with_columns(pl.col("mn", "pollutant_code").cast(pl.String))
    unit = keys.join(level, on=["mn", "pollutant_code"], how="left", maintain_order="left")
    unit = unit.with_columns(
        unit=pl.when(pl.col("pa") & pl.col("field").is_in(["Rtd", "Avg", "Min", "Max"]))
        .then(pl.lit("Pa"))
        .otherwise(pl.col("default_unit"))
    )
    if overrides:
        table = pl.DataFrame(
            overrides, schema=["mn", "pollutant_code", "unit_override"], orient="row"
        )
        unit = unit.join(table, on=["mn", "pollutant_code"], how="left", maintain_order="left")
        unit = unit.with_columns(unit=pl.coalesce("unit_override", "unit"))
    return unit.get_column("unit").cast(CAT)
