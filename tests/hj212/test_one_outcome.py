"""One record, one outcome: random logs of every kind of line, each line accounted for once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import packet

T0 = datetime(2024, 1, 1)
# what a line of each kind gives: (packets loaded, records rejected); blank lines give nothing
KINDS = {
    "packet": (1, 0),
    "two_glued": (2, 0),
    "garbage_then_packet": (1, 1),
    "packet_then_frame_garbage": (1, 1),
    "garbage": (0, 1),
    "nul": (0, 1),
    "comment": (0, 1),
    "cut_packet": (0, 1),
    "blank": (0, 0),
}
GARBAGE = st.text(
    alphabet=st.sampled_from("abcXYZ019#;=,&@ \t\x00"), min_size=1, max_size=30
).filter(lambda t: t.strip(" \t\x00") and not t.startswith("#"))


def _packet(i: int) -> str:
    t = T0 + timedelta(hours=i)
    return packet(
        qn=f"{t:%Y%m%d%H%M%S}000",
        st="31",
        cn="2061",
        mn="M1",
        data_time=t,
        items=[("a21026", {"Avg": f"{i % 97}.5", "Flag": "N"})],
    ).rstrip("\r\n")


@st.composite
def logs(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=25))
    n = 0
    lines = []
    for kind in kinds:
        p, q = _packet(n), _packet(n + 1)
        n += 2
        junk = draw(GARBAGE)
        text = {
            "packet": p,
            "two_glued": p + q,
            "garbage_then_packet": junk + p,
            "packet_then_frame_garbage": p + "##1234" + junk,
            "garbage": junk + "##0042" + junk,  # a frame start inside garbage: still one record
            "nul": "\x00" * draw(st.integers(1, 5)),
            "comment": "# " + junk,
            "cut_packet": p[: draw(st.integers(8, len(p) - 5))],
            "blank": draw(st.sampled_from(["", " ", "\t", "\r", "  \r"])),
        }[kind]
        lines.append(text)
    endings = draw(st.lists(st.sampled_from(["\r\n", "\n"]), min_size=len(lines)))
    # the last line may lack its ending, unless it is empty (then it would be no line at all)
    last = draw(st.sampled_from(["", "\r\n"])) if lines[-1] else "\n"
    body = "".join(t + e for t, e in zip(lines[:-1], endings, strict=False)) + lines[-1] + last
    return body.encode(), kinds


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(log=logs())
def test_every_line_is_counted_exactly_once(log: tuple[bytes, list[str]], tmp_path: Path) -> None:
    data, kinds = log
    path = tmp_path / "random.log"
    path.write_bytes(data)
    r = parse_files([path], root=tmp_path)
    loaded = Counter(r.values.unique(["line_no", "data_time"])["line_no"].to_list())
    rejected = Counter(r.rejects["line_no"].to_list())
    if all(k == "blank" for k in kinds):  # nothing but blank lines: the file is empty
        assert r.rejects["reason"].to_list() == ["empty_file"]
        return
    for line_no, kind in enumerate(kinds, 1):
        assert (loaded[line_no], rejected[line_no]) == KINDS[kind], (line_no, kind, data)
    read, ok, bad = r.per_file["random.log"]
    assert read == ok + bad == sum(sum(KINDS[k]) for k in kinds)
    assert r.counts.get("blank_lines", 0) == kinds.count("blank")
