"""The numpy fast path (layout.py) and parsing in pieces must not change any result."""

from __future__ import annotations

import gzip
import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dagster_project.hj212 import fields, framing, layout, parse, pieces
from dagster_project.hj212.crc import hj212_crc16
from dagster_project.hj212.writer import frame, packet

T = datetime(2024, 3, 1, 10)


def _seg(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = text.encode()
    return np.frombuffer(data, np.uint8), np.array([0]), np.array([len(data)])


def _layout(text: str) -> tuple[layout.Layout, bytes]:
    buf, s, e = _seg(text)
    return layout.locate(buf, s, e), text.encode()


def test_header_and_cp_are_located_with_the_closing_marks_stripped() -> None:
    lay, data = _layout("QN=1;ST=31;CN=2011;MN=M1;Flag=4;CP=&&DataTime=20240301100000;a=1&&")
    assert lay.located.tolist() == [True]
    header = data[: lay.header_end[0]]
    cp = data[lay.cp_start[0] : lay.cp_end[0]]
    assert (header, cp) == (b"QN=1;ST=31;CN=2011;MN=M1;Flag=4;", b"DataTime=20240301100000;a=1")
    fast = bytes(lay.fast_bytes[lay.cp_start[0] - lay.lo : lay.cp_end[0] - lay.lo])
    assert fast == b"DataTime,20240301100000,a,1"


@pytest.mark.parametrize(
    "text",
    [
        "QN=1;ST=31;CN=2011;MN=M1;Flag=4;DataTime=1",  # no CP at all
        "QN=1;ST=3&1;CN=2011;MN=M1;CP=&&a=1&&",  # a stray & in the header comes first
        "QN=1;ST=31;CN=2011;MN=测点;CP=&&a=1&&",  # non-ASCII: the general text path decodes it
        "QN=1;ST=31;CN=2011;MN=M1;CP=&",  # CP= followed by a single &
    ],
)
def test_segments_numpy_cannot_lay_out_take_the_general_path(text: str) -> None:
    lay, _ = _layout(text)
    assert lay.located.tolist() == [False]


def test_cp_without_closing_marks_runs_to_the_segment_end() -> None:
    lay, data = _layout("QN=1;CN=2011;MN=M1;CP=&&a=1")
    assert lay.located.tolist() == [True]
    assert data[lay.cp_start[0] : lay.cp_end[0]] == b"a=1"


def _packet(mn: str, t: datetime, value: str = "1.5", **kw) -> str:
    kw.setdefault("items", [("a21026", {"Avg": value, "Flag": "N"}), ("a01012", {"Avg": "80"})])
    return packet(qn="20240301110005123", st="31", cn="2061", mn=mn, flag=4, data_time=t, **kw)


def _mixed_log(tmp_path: Path) -> Path:
    """Valid packets, duplicates far apart, a split set, rejects and odd CPs, spread so that
    small pieces cut between the copies and the parts."""
    rng = random.Random(7)
    lines: list[str] = []
    for i in range(400):
        lines.append(_packet(f"M{i % 7}", T + timedelta(hours=i // 7), f"{rng.uniform(0, 50):.3f}"))
    lines.insert(350, lines[3])  # a duplicate in another piece: the first copy wins
    split = [
        frame(
            f"QN=2024030111000{pno}000;ST=31;CN=2061;PW=123456;MN=MS;Flag=6;PNUM=2;PNO={pno};"
            f"CP=&&DataTime=20240301100000;{items}&&"
        ).rstrip()
        for pno, items in ((1, "a21026-Avg=7.0"), (2, "a21026-Flag=D"))
    ]
    lines.insert(20, split[0])
    lines.insert(380, split[1])
    seg = "QN=1;ST=31;CN=2061;PW=9;MN=MX;Flag=4;CP=&&DataTime=20240301100000;a21026-Avg=1=2;b&&"
    lines.insert(100, frame(seg).rstrip())  # an odd CP (item with two =, item without)
    lines.insert(200, "garbage line")
    lines.insert(300, lines[10][:-9] + "ZZZZ")  # bad CRC field
    path = tmp_path / "mixed.log"
    path.write_bytes("".join(line.rstrip("\r\n") + "\r\n" for line in lines).encode())
    return path


def _normalised(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.Categorical).cast(pl.String))


def test_parsing_in_small_pieces_gives_the_same_result(tmp_path: Path, monkeypatch) -> None:
    path = _mixed_log(tmp_path)
    whole = parse.parse_files([path])
    monkeypatch.setattr(pieces, "PIECE_BYTES", 4096)
    monkeypatch.setattr(pieces, "READ_BYTES", 1000)
    assert len(list(pieces.read_pieces(path))) > 10
    small = parse.parse_files([path])
    assert small.counts == whole.counts
    assert whole.counts["duplicates_resolved"] == 1
    assert whole.counts["split_sets_complete"] == 1
    for a, b in ((whole.values, small.values), (whole.rejects, small.rejects)):
        assert_frame_equal(_normalised(a), _normalised(b))
    dup = small.rejects.filter(pl.col("reason") == "duplicate")
    file_lines = path.read_bytes().decode().split("\r\n")
    copies = [i + 1 for i, line in enumerate(file_lines) if line == file_lines[3]]
    assert len(copies) == 2
    assert dup["line_no"].to_list() == [copies[1]]  # the later copy, by its line in the file
    split = _normalised(small.values).filter(pl.col("mn") == "MS")
    assert split.select("value", "flag").rows() == [(7.0, "D")]  # flag joined across parts


@pytest.mark.parametrize("gz", [False, True])
def test_pieces_end_at_line_ends_and_cover_the_file(tmp_path: Path, monkeypatch, gz) -> None:
    data = b"".join(b"line %d\n" % i for i in range(1000)) + b"last without newline"
    path = tmp_path / "log"
    path.write_bytes(gzip.compress(data[:3000]) + gzip.compress(data[3000:]) if gz else data)
    monkeypatch.setattr(pieces, "PIECE_BYTES", 100)
    monkeypatch.setattr(pieces, "READ_BYTES", 64)
    got = list(pieces.read_pieces(path))
    assert b"".join(got) == data  # gzip members one after another
    # a piece ends at the last line end once it holds PIECE_BYTES: at most a line short of it
    assert len(got) > 5 and all(p.endswith(b"\n") and len(p) > 100 - 20 for p in got[:-1])
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert list(pieces.read_pieces(empty)) == []


def test_a_cut_gzip_file_is_read_up_to_the_cut(tmp_path: Path) -> None:
    data = b"".join(b"line %d\n" % i for i in range(20000))
    packed = gzip.compress(data)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    got = b"".join(pieces.read_pieces(path))
    assert 0 < len(got) < len(data) and data.startswith(got)


def test_long_segments_crc_matches_the_reference() -> None:
    rng = random.Random(212)
    segs = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 2, 3, 511, 1024, 1025, 4099)]
    segs += [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000))) for _ in range(40)]
    data = b"".join(segs)
    lens = np.array([len(s) for s in segs], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
    got = framing.hj212_crc_many(np.frombuffer(data, np.uint8), starts, lens)
    assert got.tolist() == [hj212_crc16(s) for s in segs]


_CP_TOKENS = ["a21026-Avg", "a21026-Flag", "DataTime", "20240301100000", "N", "1.5", "x", "&", "//"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.sampled_from([*_CP_TOKENS, "=", ";", ","]), min_size=0, max_size=14),
        min_size=1,
        max_size=12,
    )
)
def test_fast_path_equals_the_item_by_item_path(tmp_path: Path, monkeypatch, cps) -> None:
    """Any CP, regular or not, parses the same with the numpy layout as without it."""
    lines = [
        frame(
            f"QN=2024030111000{i:02d}00;ST=31;CN=2061;PW=1;MN=M{i};Flag=4;"
            f"CP=&&DataTime=20240301100000;{''.join(tokens)}&&"
        ).rstrip()
        for i, tokens in enumerate(cps)
    ]
    path = tmp_path / "fuzz.log"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    fast = parse.parse_files([path])

    def nothing_located(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> layout.Layout:
        lay = real_locate(buf, s, e)
        lay.located[:] = False
        return lay

    real_locate = layout.locate
    monkeypatch.setattr(layout, "locate", nothing_located)
    slow = parse.parse_files([path])
    monkeypatch.undo()
    assert fast.counts == slow.counts

    def in_line_order(df: pl.DataFrame) -> pl.DataFrame:  # fast packets come first in a piece
        return _normalised(df).sort("line_no", maintain_order=True)

    assert_frame_equal(in_line_order(fast.values), in_line_order(slow.values))
    assert_frame_equal(_normalised(fast.rejects), _normalised(slow.rejects))


def test_irregular_cps_are_found_from_the_part_lengths() -> None:
    cps = ["a=1;b=2", "a=1=2;b", "a=1;;b=2", "a;b=1", "a=1,b=2,c", "=1;b=", "a=1;b=2;"]
    data = "|".join(cps).encode()
    offsets = np.cumsum([0] + [len(c) + 1 for c in cps[:-1]])
    fast = pl.Series([c.replace("=", ",").replace(";", ",") for c in cps])
    flat = pl.DataFrame(
        {"pkt": pl.Series(range(len(cps)), dtype=pl.UInt32), "parts": fast.str.split(",")}
    ).explode("parts")
    bad = layout.irregular_cps(flat, offsets, np.frombuffer(data, np.uint8))
    assert sorted(bad.to_list()) == [1, 2, 3, 4, 6]  # "=1;b=" is two items with empty parts


_HEADER_PARTS = ["QN=20240301", "ST=31", "CN=2061", "PW=1", "MN=M1", "Flag=4", "FLAG=5"]
_HEADER_PARTS += ["PNUM=2", "PNO=1", "QN=x=y", "MN=", "ST=22", ""]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_HEADER_PARTS), max_size=9), st.sampled_from([";", ","]))
def test_canonical_header_shortcut_reads_the_same_fields(parts: list[str], sep: str) -> None:
    canonical = "QN=20240301;ST=31;CN=2061;PW=1;MN=M1;Flag=4;"
    headers = pl.Series("header", [canonical, sep.join(parts) + ";", canonical])
    got = fields._header_fields(headers)
    ref = pl.DataFrame({"header": headers}).select(
        qn=fields._header_field("QN"),
        st=fields._header_field("ST"),
        cn=fields._header_field("CN"),
        mn=fields._header_field("MN"),
        flag_text=fields._header_field("flag", "(?i)"),
        pnum=fields._header_field("PNUM").cast(pl.Int32, strict=False),
        pno=fields._header_field("PNO").cast(pl.Int32, strict=False),
    )
    assert_frame_equal(got.drop("header_ok"), ref)
    # strict: known KEY=value fields, each once; `QN=x=y` or a repeated key rejects the header
    keys = [part.split("=")[0].upper() for part in parts if part]
    strict = all(part.count("=") == 1 for part in parts if part) and len(keys) == len(set(keys))
    assert got["header_ok"].to_list() == [True, strict, True]


def _small_logs(tmp_path: Path) -> list[Path]:
    """The mixed log cut into many small logs, as a receiving station's hourly files: a split
    set and a duplicate across logs, blank lines, a log without a final line end, a gzip log, a
    gzip log cut short and an empty log."""
    lines = _mixed_log(tmp_path).read_bytes().split(b"\r\n")[:-1]
    paths = []
    for k in range(0, len(lines), 23):
        path = tmp_path / "hourly" / f"{k:04d}.log"
        path.parent.mkdir(exist_ok=True)
        data = b"\r\n".join(lines[k : k + 23]) + b"\r\n"
        if k == 46:
            data = b"\r\n \r\n" + data  # blank lines
        if k == 92:
            data = data.rstrip(b"\r\n")  # the last line without its line end
        if k == 138:
            data, path = gzip.compress(data), path.with_suffix(".log.gz")
        if k == 184:
            data, path = gzip.compress(data)[:-30], path.with_suffix(".log.gz")  # cut short
        path.write_bytes(data)
        paths.append(path)
    (tmp_path / "hourly" / "9999.log").write_bytes(b"")
    return [*paths, tmp_path / "hourly" / "9999.log"]


def test_small_logs_parsed_together_give_what_they_give_one_by_one(tmp_path: Path) -> None:
    paths = _small_logs(tmp_path)
    root = tmp_path / "hourly"
    alone = parse.ParseStream(paths, root=root, group_bytes=0)
    alone_batches = list(alone)
    together = parse.ParseStream(paths, root=root)
    together_batches = list(together)
    # every small log in one piece: one batch of rows for all of them, not one per log
    assert sum(b.items.height > 0 for b in together_batches) == 2  # and the split set's
    assert sum(b.items.height > 0 for b in alone_batches) > 15
    assert together.counts == alone.counts
    assert together.per_file == alone.per_file
    assert together.notes == alone.notes
    assert alone.counts["duplicates_resolved"] == 1
    assert alone.counts["split_sets_complete"] == 1
    assert alone.counts["blank_lines"] == 2
    assert any("truncated_file" in n for ns in alone.notes.values() for n in ns)
    assert any("empty_file" in n for ns in alone.notes.values() for n in ns)
    for frame_of in (
        lambda bs: pl.concat([b.values for b in bs]),
        # a file-level problem's row comes after the group's piece, as parse_files sorts them
        lambda bs: pl.concat([b.rejects for b in bs]).sort("source_file", "line_no"),
        lambda bs: pl.concat([b.events for b in bs]),
    ):
        assert_frame_equal(
            _normalised(frame_of(together_batches)), _normalised(frame_of(alone_batches))
        )
    finished = [b.finished for b in together_batches if b.finished]
    assert finished == [p.relative_to(root).as_posix() for p in paths]
