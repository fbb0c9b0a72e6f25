"""Write HJ 212 packets: the inverse of the parser, used by the generator and the tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from dagster_project.hj212.crc import hj212_crc16_folded


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
