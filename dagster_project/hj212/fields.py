"""Parse HJ 212 data segments with polars: header fields, then the CP area in long format.

Input: a frame with `pkt` (row index) and `seg` (the data segment text). The header is the part
before `CP=&&`; its fields are found by name, in any order, tolerating `,` before a field and an
upper-case `FLAG=` (both seen in real packets). The CP area is split on `;` and `,` into items
`name=value`; `code-Field=value` items carry the values and their attributes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from dagster_project.hj212 import bounds
from dagster_project.hj212.codes import (
    ATTRIBUTE_FIELDS,
    CODE_2005_TO_2017,
    UNITS_2017,
    VALUE_FIELDS,
    VERSION_BY_BITS,
)


def _header_field(name: str, flags: str = "") -> pl.Expr:
    return pl.col("header").str.extract(rf"{flags}(?:^|[;,]){name}=([^;,]*)", 1)


# The header almost every logger sends: one regex pass takes all its fields at once.
_CANONICAL_HEADER = (
    r"^QN=([^;,=]*);ST=([^;,=]*);CN=([^;,=]*);PW=[^;,=]*;MN=([^;,=]*);Flag=([^;,=]*);$"
)
_HEADER_FIELDS = ("qn", "st", "cn", "mn", "flag_text")
# Strict: a header is `;`/`,`-separated KEY=value fields of HJ 212-2017 §6.3.2 (Flag in any
# case, as real loggers send it), each key at most once; empty parts are tolerated.
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "(?i:flag)", "PNUM", "PNO")
_KEY = "(?:" + "|".join(_HEADER_KEYS) + ")"
_STRICT_HEADER = rf"^[;,]*(?:{_KEY}=[^;,=]*(?:[;,]+{_KEY}=[^;,=]*)*)?[;,]*$"


def _header_fields(header: pl.Series) -> pl.DataFrame:
    """qn, st, cn, mn, flag_text, pnum, pno and header_ok of each header. Canonical headers
    are read by one anchored regex; the others field by field, in any order, `,` tolerated
    before a field and `FLAG` in any case. `header_ok` is false for a header that does not
    split into known KEY=value fields each sent once (`QN=…PW=…;` with a `;` lost, an unknown
    or repeated key): such a packet is rejected, so no field can smuggle the password."""
    groups = header.str.extract_groups(_CANONICAL_HEADER).struct.unnest()
    out = groups.select(
        *(pl.col(str(i + 1)).alias(name) for i, name in enumerate(_HEADER_FIELDS)),
        pnum=pl.lit(None, pl.Int32),
        pno=pl.lit(None, pl.Int32),
        header_ok=pl.lit(True),
    )
    other = out.get_column("qn").is_null().arg_true()
    if not len(other):
        return out
    text = pl.col("header")
    once = [text.str.count_matches(rf"(?:^|[;,]){key}=") <= 1 for key in _HEADER_KEYS]
    fields = pl.DataFrame({"header": header.gather(other)}).select(
        qn=_header_field("QN"),
        st=_header_field("ST"),
        cn=_header_field("CN"),
        mn=_header_field("MN"),
        flag_text=_header_field("flag", "(?i)"),
        pnum=_header_field("PNUM").cast(pl.Int32, strict=False),
        pno=_header_field("PNO").cast(pl.Int32, strict=False),
        header_ok=(text.str.contains(_STRICT_HEADER) & pl.all_horizontal(once)).fill_null(False),
    )
    return out.with_columns(
        out.get_column(c).scatter(other, fields.get_column(c)) for c in out.columns
    )


def split_segments(seg: pl.Series) -> pl.DataFrame:
    """header (text before `CP=&&`), cp (after it, a closing `&&` stripped), has_cp and cp_fast
    (null: these take the item-by-item path) of whole data segments."""
    parts = seg.str.splitn("CP=&&", 2)
    return pl.DataFrame(
        {"header": parts.struct.field("field_0"), "cp": parts.struct.field("field_1")}
    ).select(
        "header",
        pl.col("cp").str.strip_suffix("&&"),
        has_cp=pl.col("cp").is_not_null(),
        cp_fast=pl.lit(None, pl.String),
    )


def parse_headers(segs: pl.DataFrame) -> pl.DataFrame:
    """One row per segment (columns header, cp, has_cp; see split_segments): qn, st, cn, mn,
    flag_value, protocol_version, pnum, pno, cp, data_time_text, header_error (null
    when the header is usable)."""
    out = pl.concat([segs, _header_fields(segs.get_column("header"))], how="horizontal")
    flag_value = pl.col("flag_text").cast(pl.Int32, strict=False)
    version_bits = flag_value // 4
    out = out.with_columns(
        flag_value=flag_value,
        protocol_version=pl.when(pl.col("flag_text").is_null())
        .then(pl.lit("2005"))  # 2005-style packets often carry no Flag at all
        .otherwise(
            version_bits.replace_strict(VERSION_BY_BITS, default=None, return_dtype=pl.String)
        ),
        data_time_text=pl.col("cp").str.extract(r"(?:^|[;,])DataTime=([^;,]*)", 1),
    )
    cn_ok = pl.col("cn").str.contains(r"^\d{4}$").fill_null(False)
    mn_ok = (pl.col("mn").str.len_bytes() > 0).fill_null(False)
    header_error = (
        pl.when(~pl.col("has_cp") | ~pl.col("header_ok") | ~cn_ok | ~mn_ok)
        .then(pl.lit("bad_header"))
        .when(pl.col("flag_text").is_not_null() & flag_value.is_null())
        .then(pl.lit("bad_header"))
        .when(pl.col("flag_text").is_not_null() & (flag_value < 0))
        .then(pl.lit("bad_header"))
        .when(pl.col("protocol_version").is_null())
        .then(pl.lit("unsupported_version"))
        .when(
            (pl.col("pnum").is_not_null() | pl.col("pno").is_not_null())
            & (
                pl.col("pnum").is_null()
                | pl.col("pno").is_null()
                | (pl.col("pno") < 1)
                | (pl.col("pno") > pl.col("pnum"))
            )
        )
        .then(pl.lit("bad_header"))
    )
    return out.with_columns(
        data_time=parse_time(pl.col("data_time_text")),
        header_error=header_error,
    ).drop("header", "has_cp", "flag_text", "header_ok")


def parse_time(text: pl.Expr) -> pl.Expr:
    """`YYYYMMDDhhmmss`, optionally followed by 3 millisecond digits (seen in 2005 packets)."""
    ok = text.str.contains(r"^\d{14}(\d{3})?$").fill_null(False)
    base = pl.when(ok).then(text.str.slice(0, 14))
    parsed = base.str.to_datetime("%Y%m%d%H%M%S", strict=False, time_unit="us")
    millis = pl.when(text.str.len_bytes() == 17).then(text.str.slice(14, 3).cast(pl.Int64))
    return parsed + pl.duration(milliseconds=millis.fill_null(0))


def explode_items(
    packets: pl.DataFrame, irregular: Callable[[pl.DataFrame], pl.Series]
) -> pl.DataFrame:
    """One row per CP item: pkt, val, has_eq (the item is `name=value` with one `=`) and the
    name_table columns (code is null for plain names such as DataTime).

    Fast path, for CPs laid out by layout.py (`cp_fast`: the CP with `=;,` turned into `,`):
    split once and take names and values as the even and odd parts. `irregular(flat)` names
    the packets whose parts do not alternate name, value (an empty item, an item without `=`
    or with two); those and the CPs not laid out take the item-by-item path. Names are split
    into code and field once per distinct name."""
    cp = pl.col("cp")
    nonempty = packets.filter(cp.str.len_bytes() > 0)
    flat = (
        nonempty.filter(pl.col("cp_fast").is_not_null())
        .select("pkt", parts=pl.col("cp_fast").str.split(","))
        .explode("parts")
    )
    odd = irregular(flat)
    if len(odd):
        flat = flat.filter(~pl.col("pkt").is_in(odd.implode()))
    slow_packets = nonempty.filter(pl.col("cp_fast").is_null() | pl.col("pkt").is_in(odd.implode()))
    # every fast-path item is exactly `name=value`: parts alternate name, value
    fast = pl.DataFrame(
        {
            "pkt": flat.get_column("pkt").gather_every(2),
            "name": flat.get_column("parts").gather_every(2),
            "val": flat.get_column("parts").gather_every(2, 1),
        }
    ).with_columns(has_eq=pl.lit(True))
    slow = (
        slow_packets.select("pkt", item=cp.str.replace_all(";", ",", literal=True).str.split(","))
        .explode("item")
        .filter(pl.col("item").str.len_bytes() > 0)
    )
    eq = pl.col("item").str.find("=", literal=True)
    val = pl.when(eq.is_null()).then(pl.lit("")).otherwise(pl.col("item").str.slice(eq + 1))
    slow = slow.select(
        "pkt",
        name=pl.when(eq.is_null()).then(pl.col("item")).otherwise(pl.col("item").str.slice(0, eq)),
        val=val,
        # `has_eq`: exactly one `=`; a second one (`a21026-Flag=N=x`) makes the item malformed
        has_eq=eq.is_not_null() & ~val.str.contains("=", literal=True),
    )
    items = pl.concat([fast, slow]).with_columns(pl.col("name").cast(pl.Categorical))
    # name -> its name_table row by the categorical's integer id: a gather, not a join
    table = name_table(items).sort(pl.col("name").to_physical())
    table_ids = table.get_column("name").to_physical().to_numpy()
    ids = items.get_column("name").to_physical().to_numpy()
    rows = np.searchsorted(table_ids, ids)
    return pl.concat([items.drop("name"), table.drop("name")[rows]], how="horizontal")


def name_table(items: pl.DataFrame) -> pl.DataFrame:
    """Per distinct CP name: code (null for plain names), field, the HJ 212-2017 pollutant code
    (2005 codes mapped), the default unit of the (code, field) pair and its physical bound
    (bounds.py)."""
    text = pl.col("name").cast(pl.String)
    dash = text.str.find("-", literal=True)
    names = items.select(pl.col("name").unique()).with_columns(
        code=pl.when(dash.is_not_null()).then(text.str.slice(0, dash)),
        field=pl.when(dash.is_null()).then(text).otherwise(text.str.slice(dash + 1)),
    )
    conc = {c: u[0] for c, u in UNITS_2017.items()}
    emis = {c: u[1] for c, u in UNITS_2017.items() if u[1] is not None}
    code_2017 = pl.col("code").replace_strict(
        CODE_2005_TO_2017, default=pl.col("code"), return_dtype=pl.String
    )
    names = names.with_columns(pollutant_code=code_2017)
    unit = (
        pl.when(pl.col("field") == "Cou")
        .then(pl.col("pollutant_code").replace_strict(emis, default=None, return_dtype=pl.String))
        .when(pl.col("field").is_in(["RS", "RT"]))
        .then(pl.lit(None, pl.String))
        .otherwise(
            pl.col("pollutant_code").replace_strict(conc, default=None, return_dtype=pl.String)
        )
    )
    return names.with_columns(
        default_unit=unit,
        is_attribute=pl.col("field").is_in(list(ATTRIBUTE_FIELDS)),
        known_field=pl.col("field").is_in(list(VALUE_FIELDS)),
        bound_id=bounds.bound_id(pl.col("pollutant_code"), pl.col("field")),
    ).with_columns(pl.col("code", "field", "pollutant_code", "default_unit").cast(pl.Categorical))


def numeric_fast(val: pl.Series) -> pl.Series:
    """The strings as doubles, null where not a finite number (no whitespace stripping)."""
    v = val.cast(pl.Float64, strict=False)
    return pl.select(pl.when(v.is_finite()).then(v)).to_series().alias("value")


def mask_cp(cp: pl.Expr) -> pl.Expr:
    """CP text with any password value (PW=, NewPW= of CN 1072) masked."""
    return cp.str.replace_all(r"(?i)((?:New)?PW=)[^;,&]*", "${1}******")
