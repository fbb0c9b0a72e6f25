"""Property tests: what the writer writes parses back; single-byte damage never crashes a run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.hj212.bounds import BOUNDS, READING_FIELDS
from dagster_project.hj212.codes import CODE_2005_TO_2017
from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import packet

PASSWORD = "Qzxvgk"  # letters that no hex CRC, code or field name contains
CODES = ("a21026", "a21002", "a34013", "a19001", "a00000", "a01013", "02", "S01", "B02")
FIELDS = ("Rtd", "Avg", "Min", "Max", "ZsAvg", "ZsMin", "ZsMax", "Cou")

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 3))
items = st.dictionaries(
    st.sampled_from(CODES),
    st.tuples(
        st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=4),
        st.sampled_from("NFMSDCTB"),
    ),
    min_size=1,
    max_size=5,
)
packets = st.fixed_dictionaries(
    {
        "cn": st.sampled_from(["2011", "2051", "2061", "2031"]),
        "flag": st.sampled_from([0, 4, 5, 8, None]),
        "mn": st.from_regex(r"[0-9A-F]{14,24}", fullmatch=True),
        "time": st.datetimes(datetime(2005, 1, 1), datetime(2035, 1, 1)).map(
            lambda t: t.replace(microsecond=0)
        ),
        "items": items,
    }
)


def _line(p: dict) -> str:
    body = [
        (code, {**{f: f"{v:.3f}" for f, v in fields.items()}, "Flag": flag})
        for code, (fields, flag) in p["items"].items()
    ]
    return packet(
        qn="20240101000000000",
        st="31",
        cn=p["cn"],
        mn=p["mn"],
        pw=PASSWORD,
        flag=p["flag"],
        data_time=p["time"],
        items=body,
    )


def _outside(code: str, field: str, value: float) -> bool:
    bound = BOUNDS.get(CODE_2005_TO_2017.get(code, code))
    return bool(bound and field in READING_FIELDS and not bound.low <= value <= bound.high)


def _write(tmp: Path, text: bytes) -> Path:
    path = tmp / "x.log"
    path.write_bytes(text)
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(p=packets)
def test_written_packets_parse_back_to_the_same_values(p: dict, tmp_path: Path) -> None:
    result = parse_files([_write(tmp_path, _line(p).encode())])
    impossible = [
        f"out_of_range:{code}-{f}"
        for code, (fields, _) in p["items"].items()
        for f, v in fields.items()
        if _outside(code, f, round(v, 3))
    ]
    if impossible:  # a reading no instrument can send rejects the packet, naming the item
        assert result.counts["packets_valid"] == 0
        assert result.rejects["reason"].to_list() == impossible[:1]
        return
    assert result.counts["packets_valid"] == 1 and result.rejects.height == 0
    got = result.values.with_columns(pl.col(pl.Categorical).cast(pl.String))
    expected = {
        (code, f, round(v, 3), flag)
        for code, (fields, flag) in p["items"].items()
        for f, v in fields.items()
    }
    assert (
        set(zip(got["code_sent"], got["field"], got["value"], got["flag"], strict=True)) == expected
    )
    assert set(got["mn"]) == {p["mn"]} and set(got["cn"]) == {p["cn"]}
    assert set(got["data_time"]) == {p["time"]}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(p=packets, pos=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_single_byte_corruption_is_rejected_or_classified(
    p: dict, pos: int, byte: int, tmp_path: Path
) -> None:
    good = _line(p).encode()
    pos %= len(good)
    bad = good[:pos] + bytes([byte]) + good[pos + 1 :]
    result = parse_files([_write(tmp_path, good + bad + good)])
    c = result.counts
    assert c["packets_valid"] + c["rejected"] == c["lines_read"]
    if bad != good:
        second = [r for r in result.rejects.iter_rows(named=True) if r["line_no"] == 2]
        loaded_lines = set(result.values["line_no"]) | set(result.events["line_no"])
        # the damaged line is rejected with a reason, or it still carries a valid CRC and is
        # then classified (a lying length, a glued frame, a duplicate of line 1)
        assert second or 2 in loaded_lines or c["length_mismatch_accepted"]
        assert all(r["reason"] for r in second)
    text = " ".join(
        str(x)
        for df in (result.values, result.rejects, result.events)
        for x in df.with_columns(pl.all().cast(pl.String)).iter_rows()
    )
    assert PASSWORD not in text
