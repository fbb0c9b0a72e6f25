"""Write HJ 212 packets: the inverse of the parser, used by the generator and the tests.

`frame`/`packet` write one packet; `format_values` and `frame_many` do the same for whole columns
(the generator writes tens of millions of minute packets for a county-year), byte for byte equal
to the one-at-a-time functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import polars as pl
import pyarrow as pa

from dagster_project.hj212.crc import hj212_crc16_folded
from dagster_project.hj212.framing import hj212_crc_many


def frame(segment: str) -> str:
    """Wrap a data segment as `##dddd<segment>XXXX\\r\\n` (length and CRC over UTF-8 bytes)."""
    data = segment.encode("utf-8")
    return f"##{len(data):04d}{segment}{hj212_crc16_folded(data):04X}\r\n"


def format_value(value: float, decimals: int = 3) -> str:
    return f"{value:.{decimals}f}"


def data_segment(
    *,
    st: str,
    cn: str,
    mn: str,
    data_time: datetime | None,
    items: Sequence[tuple[str, Mapping[str, str]]],
    qn: str | None = None,
    pw: str = "123456",
    flag: int | None = 4,
    extra_cp: Sequence[str] = (),
) -> str:
    """Build `QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;CP=&&DataTime=..;code-Field=v,..&&`.

    `items` is a list of (pollutant code, {field: formatted value}); fields keep their order.
    """
    head = []
    if qn is not None:
        head.append(f"QN={qn}")
    head += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag is not None:
        head.append(f"Flag={flag}")
    cp_parts: list[str] = []
    if data_time is not None:
        cp_parts.append(f"DataTime={data_time:%Y%m%d%H%M%S}")
    cp_parts += list(extra_cp)
    for code, fields in items:
        cp_parts.append(",".join(f"{code}-{name}={val}" for name, val in fields.items()))
    return ";".join(head) + ";CP=&&" + ";".join(cp_parts) + "&&"


def packet(**kwargs) -> str:
    """A complete framed packet line (see `data_segment` for the arguments)."""
    return frame(data_segment(**kwargs))


def format_values(values: pl.Series, decimals: int) -> pl.Series:
    """`format_value` of every value ('' for null), vectorised and exact.

    value × 10^decimals is rounded half-to-even in floating point; that is the correctly rounded
    digit string Python prints unless the product lies within a few ulps of a tie (or is huge or
    not finite): those few values are formatted by Python. The sign follows the sign bit, as
    Python's `-0.000` does."""
    x = values.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)
    null = values.is_null().to_numpy()
    scale = 10.0**decimals
    with np.errstate(invalid="ignore", over="ignore"):
        s = x * scale
        r = np.rint(s)
        near_tie = np.abs(np.abs(s - np.floor(s)) - 0.5) <= 4 * np.abs(np.spacing(s))
    exact = np.isfinite(s) & (np.abs(s) < 2.0**52) & ~near_tie
    exact |= null
    whole = np.where(exact & ~null, np.abs(r), 0).astype(np.int64)
    unit = 10**decimals
    parts = pl.DataFrame(
        {"neg": np.signbit(x) & ~null, "ip": whole // unit, "fp": whole % unit, "null": null}
    )
    text = pl.when(pl.col("neg")).then(pl.lit("-")).otherwise(pl.lit("")) + pl.col("ip").cast(
        pl.String
    )
    if decimals:
        text = text + pl.lit(".") + pl.col("fp").cast(pl.String).str.zfill(decimals)
    out = parts.select(pl.when(pl.col("null")).then(pl.lit("")).otherwise(text)).to_series()
    slow = np.flatnonzero(~exact)
    if len(slow):
        out = out.scatter(slow, [format_value(float(v), decimals) for v in x[slow]])
    return out.alias(values.name)


_HEX4_UPPER = pl.Series([f"{i:04X}" for i in range(1 << 16)])
_HEX4_LOWER = _HEX4_UPPER.str.to_lowercase()


def frame_many(segments: pl.Series, lower_crc: bool = False) -> pl.Series:
    """`frame` of every segment (with `\\r\\n`); `lower_crc` prints the CRC in lower case, as
    some legacy loggers do."""
    if not len(segments):
        return pl.Series(segments.name, [], dtype=pl.String)
    arr = pa.array(segments.cast(pl.String).to_arrow()).cast(pa.large_string())
    arr = pa.concat_arrays([arr]) if arr.offset else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[: len(arr) + 1]
    data = arr.buffers()[2]
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    crc = hj212_crc_many(buf, offsets[:-1], np.diff(offsets))
    hex4 = (_HEX4_LOWER if lower_crc else _HEX4_UPPER).gather(crc.astype(np.int64))
    lengths = pl.Series(np.diff(offsets)).cast(pl.String).str.zfill(4)
    return (
        pl.DataFrame({"n": lengths, "seg": segments, "crc": hex4})
        .select(pl.concat_str(pl.lit("##"), "n", "seg", "crc", pl.lit("\r\n")))
        .to_series()
    )
