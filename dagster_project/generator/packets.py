"""Serialise outlet frames (see `physics.OutletTruth`) to HJ 212 packet lines.

Serialisation writes whatever the frame holds and recomputes nothing, so a fault injector can
edit frames between `physics.simulate` and these functions and the packets carry its edits.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import polars as pl

from dagster_project.generator.county import POLLUTANT_CODES, POLLUTANT_CODES_2005, Outlet
from dagster_project.hj212.writer import format_values, frame_many, packet
from dagster_project.hj212.writer import frame as frame_segment

PW = "123456"
# aux column -> (2017 code, 2005 code, decimals)
AUX_CODES: dict[str, tuple[str, str, int]] = {
    "o2_pct": ("a19001", "S01", 2),
    "temp_c": ("a01012", "S03", 1),
    "pressure_kpa": ("a01013", "S08", 3),
    "humidity_pct": ("a01014", "S05", 2),
    "velocity_m_s": ("a01011", "S02", 2),
}
FLOW_CODES = ("a00000", "B02")
PERIOD = {"2061": timedelta(hours=1), "2051": timedelta(minutes=1), "2031": timedelta(days=1)}


def _f(v: float | None, d: int) -> str:
    """Fixed decimals; never "-0.000" (a value that rounds to zero is written unsigned, so the
    sign bit of a tiny negative, which varies with summation order, never reaches the file)."""
    if v is None:
        return ""
    return f"{v + 0.0:.{d}f}".replace("-", "") if round(v, d) == 0 else f"{v:.{d}f}"


def qn(t: datetime) -> str:
    return f"{t:%Y%m%d%H%M%S}{t.microsecond // 1000:03d}"


def send_time(mn: str, period_start, cn: str):
    """When the logger sends a period's packet: just after the period ends, with a fixed
    per-logger delay (a datetime, or a polars Series of them)."""
    h = zlib.crc32(mn.encode())
    delay = timedelta(seconds=5 + h % 40, milliseconds=h % 997)
    return period_start + PERIOD[cn] + delay


def row_items(row: dict, outlet: Outlet, cn: str) -> list[tuple[str, dict[str, str]]]:
    """The CP items of one frame row: pollutants, flow, then the flue-gas parameters."""
    legacy = outlet.protocol == "2005"
    kg_dec = 4 if cn == "2061" else 6
    items: list[tuple[str, dict[str, str]]] = []
    for p in outlet.pollutants:
        code = (POLLUTANT_CODES_2005 if legacy else POLLUTANT_CODES)[p]
        fields = {
            "Avg": _f(row[f"{p}_mg_m3"], 3),
            "Min": _f(row[f"{p}_mg_m3_min"], 3),
            "Max": _f(row[f"{p}_mg_m3_max"], 3),
        }
        if outlet.reference_o2 is not None and row.get(f"{p}_zs_mg_m3") is not None:
            fields["ZsAvg"] = _f(row[f"{p}_zs_mg_m3"], 3)
            fields["ZsMin"] = _f(row[f"{p}_zs_mg_m3_min"], 3)
            fields["ZsMax"] = _f(row[f"{p}_zs_mg_m3_max"], 3)
        fields["Cou"] = _f(row[f"{p}_kg"], kg_dec)
        fields["Flag"] = row[f"{p}_flag"]
        items.append((code, fields))
    items.append(
        (
            FLOW_CODES[1] if legacy else FLOW_CODES[0],
            {
                "Avg": _f(row["flow_m3_s"], 3),
                "Min": _f(row["flow_m3_s_min"], 3),
                "Max": _f(row["flow_m3_s_max"], 3),
                "Cou": _f(row["flow_m3"], 1),
                "Flag": row["flag"],
            },
        )
    )
    for col, (c17, c05, d) in AUX_CODES.items():
        items.append(
            (
                c05 if legacy else c17,
                {
                    "Avg": _f(row[col], d),
                    "Min": _f(row[f"{col}_min"], d),
                    "Max": _f(row[f"{col}_max"], d),
                    "Flag": row["flag"],
                },
            )
        )
    return items


def frame_packets(
    frame: pl.DataFrame, outlet: Outlet, cn: str = "2061"
) -> Iterator[tuple[datetime, str]]:
    """(send time, packet line with \\r\\n) for every transmitted row of an hourly (2061) or
    minute (2051) frame. Legacy loggers (outlet.protocol == "2005") send Flag=0 and 2005 codes."""
    lines = packet_lines(frame, outlet, cn)
    send, line = lines.get_column("send_time").to_list(), lines.get_column("line").to_list()
    return zip(send, line, strict=True)


def packet_lines(frame: pl.DataFrame, outlet: Outlet, cn: str = "2061") -> pl.DataFrame:
    """`frame_packets` as a frame (send_time, line), built column-wise: a county-year holds tens
    of millions of minute packets. Each line equals `writer.packet` of `row_items(row)`."""
    if frame.height > SLICE_ROWS:  # a year of minutes: a slice at a time bounds the memory
        return pl.concat(
            packet_lines(frame.slice(lo, SLICE_ROWS), outlet, cn)
            for lo in range(0, frame.height, SLICE_ROWS)
        )
    assert outlet.mn is not None
    legacy = outlet.protocol == "2005"
    rows = frame.filter(pl.col("transmitted"))
    sent = send_time(outlet.mn, rows.get_column("time"), cn)
    text = {name: _text(rows, name, d) for name, d in _decimals(outlet, cn).items()}
    codes = []
    for p in outlet.pollutants:
        code = (POLLUTANT_CODES_2005 if legacy else POLLUTANT_CODES)[p]
        head = _items(code, [("Avg", text[f"{p}_mg_m3"]), ("Min", text[f"{p}_mg_m3_min"])])
        head += "," + _items(code, [("Max", text[f"{p}_mg_m3_max"])])
        if outlet.reference_o2 is not None:
            zs = _items(
                code,
                [
                    ("ZsAvg", text[f"{p}_zs_mg_m3"]),
                    ("ZsMin", text[f"{p}_zs_mg_m3_min"]),
                    ("ZsMax", text[f"{p}_zs_mg_m3_max"]),
                ],
            )
            head += (
                pl.when(pl.col(f"{p}_zs_mg_m3").is_not_null()).then("," + zs).otherwise(pl.lit(""))
            )
        tail = _items(code, [("Cou", text[f"{p}_kg"]), ("Flag", _flag(f"{p}_flag"))])
        codes.append(head + "," + tail)
    flow = FLOW_CODES[1] if legacy else FLOW_CODES[0]
    flow_fields = [(f, text[c]) for f, c in zip(_FIELDS, _columns("flow_m3_s"), strict=True)]
    codes.append(_items(flow, [*flow_fields, ("Cou", text["flow_m3"]), ("Flag", _flag("flag"))]))
    for col, (c17, c05, _d) in AUX_CODES.items():
        fields = [(f, text[c]) for f, c in zip(_FIELDS, _columns(col), strict=True)]
        codes.append(_items(c05 if legacy else c17, [*fields, ("Flag", _flag("flag"))]))
    qn_text = sent.dt.strftime("%Y%m%d%H%M%S") + (sent.dt.millisecond()).cast(pl.String).str.zfill(
        3
    )
    header = (
        pl.lit("QN=")
        + pl.lit(qn_text)
        + pl.lit(f";ST=31;CN={cn};PW={PW};MN={outlet.mn};Flag={0 if legacy else 4};CP=&&")
    )
    segments = rows.select(
        pl.concat_str(
            header,
            pl.lit("DataTime="),
            pl.col("time").dt.strftime("%Y%m%d%H%M%S"),
            pl.lit(";"),
            pl.concat_str(codes, separator=";"),
            pl.lit("&&"),
        )
    ).to_series()
    return pl.DataFrame({"send_time": sent, "line": frame_many(segments, lower_crc=legacy)})


_FIELDS = ("Avg", "Min", "Max")
SLICE_ROWS = 1 << 16


def _columns(base: str) -> tuple[str, str, str]:
    return base, f"{base}_min", f"{base}_max"


def _decimals(outlet: Outlet, cn: str) -> dict[str, int]:
    """The frame columns a packet prints, with their decimals (as `row_items` does)."""
    out: dict[str, int] = {}
    for p in outlet.pollutants:
        for c in (*_columns(f"{p}_mg_m3"), *_columns(f"{p}_zs_mg_m3")):
            out[c] = 3
        out[f"{p}_kg"] = 4 if cn == "2061" else 6
    out.update(dict.fromkeys(_columns("flow_m3_s"), 3))
    out["flow_m3"] = 1
    for col, (_c17, _c05, d) in AUX_CODES.items():
        out.update(dict.fromkeys(_columns(col), d))
    return out


def _text(rows: pl.DataFrame, name: str, decimals: int) -> pl.Expr:
    """The column as `_f` prints it: no negative zero ("-0.000" is written "0.000")."""
    text = format_values(rows.get_column(name), decimals)
    return pl.lit(text.str.replace(r"^-(0(?:\.0+)?)$", "$1"))


def _flag(name: str) -> pl.Expr:
    """A flag column as `row_items` prints it (`None` for a missing flag, as an f-string does)."""
    return pl.col(name).cast(pl.String).fill_null("None")


def _items(code: str, fields: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """`code-Field=value` items joined by commas."""
    return pl.concat_str(
        [pl.lit(f"{code}-{name}=") + value for name, value in fields], separator=","
    )


def heartbeat(mn: str, at: datetime) -> str:
    """CN=9021 login/heartbeat as several vendors send it (empty CP)."""
    return packet(qn=qn(at), st="31", cn="9021", mn=mn, pw=PW, flag=4, data_time=None, items=[])


def restart(mn: str, at: datetime, restarted: datetime) -> str:
    """CN=2081 data-logger power-on report."""
    return packet(
        qn=qn(at),
        st="31",
        cn="2081",
        mn=mn,
        pw=PW,
        flag=4,
        data_time=at,
        items=[],
        extra_cp=[f"RestartTime={restarted:%Y%m%d%H%M%S}"],
    )


def corrupt_crc(line: str) -> str:
    """The same packet with one digit of its data segment changed and the CRC left as it was
    (a transmission error)."""
    body = line[6:-6]
    pos = body.rfind("Avg=") + 4
    digit = body[pos]
    new = str((int(digit) + 1) % 10) if digit.isdigit() else "9"
    return line[:6] + body[:pos] + new + body[pos + 1 :] + line[-6:]


def truncate(line: str) -> str:
    """The packet cut off mid-segment (power cut while sending)."""
    return line[: int(len(line) * 0.6)] + "\r\n"


def reframe(segment: str) -> str:
    """Frame an edited segment anew (valid CRC)."""
    return frame_segment(segment)
