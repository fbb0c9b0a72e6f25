"""Framing and checks: line endings, garbage, glued packets, truncation, lying lengths, CRCs."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.hj212 import framing
from dagster_project.hj212.crc import hj212_crc16, modbus_crc16, modbus_le_hex
from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import frame

SEG = (
    "QN=20240101000000000;ST=31;CN=2061;PW=123456;MN=M1;Flag=4;"
    "CP=&&DataTime=20240101000000;a21026-Avg=12.5,a21026-Flag=N&&"
)


def _status(data: bytes) -> list[str]:
    fr = framing.frame_buffer(data)
    return [framing.STATUS_NAMES[int(s)] for s in fr.status]


def test_standard_example_crc_is_1c80() -> None:
    seg = (
        b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
        b"Flag=5;CP=&&RtdInterval=30&&"
    )
    assert hj212_crc16(seg) == 0x1C80
    buf = np.frombuffer(seg, dtype=np.uint8)
    assert framing.hj212_crc_many(buf, np.array([0]), np.array([len(seg)]))[0] == 0x1C80


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=30))
def test_vectorised_crcs_equal_the_reference(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    buf = np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8)
    starts = np.cumsum([0] + [len(c) for c in chunks[:-1]]).astype(np.int64)
    lens = np.array([len(c) for c in chunks], dtype=np.int64)
    assert framing.hj212_crc_many(buf, starts, lens).tolist() == [hj212_crc16(c) for c in chunks]
    assert framing.modbus_crc_many(buf, starts, lens).tolist() == [modbus_crc16(c) for c in chunks]


def test_mixed_line_endings_blank_lines_and_lower_case_crc() -> None:
    good = frame(SEG).rstrip("\r\n")
    lower = good[:-4] + good[-4:].lower()
    data = f"{good}\n\n{lower}\r\n  \r\n{good}\r{good}".encode()
    fr = framing.frame_buffer(data)
    assert _status(data) == ["ok"] * 4
    assert fr.line_no.tolist() == [1, 3, 5, 5]  # a lone \r before ## still splits the frames


def test_garbage_between_packets_and_glued_packets() -> None:
    good = frame(SEG).rstrip("\r\n")
    truncated = good[: len(good) // 2]
    data = f"noise here{good}\r\n@@@\r\n{truncated}{good}\r\n".encode()
    assert _status(data) == ["bad_header", "ok", "bad_header", "truncated", "ok"]


def test_length_lie_with_good_crc_is_kept_and_marked() -> None:
    good = frame(SEG).rstrip("\r\n")
    lying = "##0999" + good[6:]
    fr = framing.frame_buffer(lying.encode())
    assert _status(lying.encode()) == ["ok"] and not fr.length_ok[0]


def test_crc_and_length_failures_are_named() -> None:
    good = frame(SEG).rstrip("\r\n")
    wrong_crc = good[:-4] + ("0000" if good[-4:] != "0000" else "1111")
    longer = "##" + f"{len(SEG) - 3:04d}" + good[6:-4] + "0000"
    data = "\r\n".join([wrong_crc, longer, good[:-4] + "XYZ!", good[:4]]).encode()
    assert _status(data) == ["crc_mismatch", "length_mismatch", "bad_crc_field", "bad_header"]


def test_modbus_low_byte_first_is_classified() -> None:
    variant = f"##{len(SEG):04d}{SEG}{modbus_le_hex(SEG.encode())}"
    assert _status(variant.encode()) == ["crc_modbus_le"]


def test_segments_over_1024_bytes_and_utf8_text() -> None:
    seg = SEG.replace("&&DataTime", "&&i11001-Info=//锅炉运行正常//;DataTime") + "x" * 0
    long_seg = seg.replace("a21026-Avg=12.5", ",".join(f"a21026-Avg={i}" for i in range(200)))
    data = (frame(seg) + frame(long_seg)).encode()
    fr = framing.frame_buffer(data)
    assert _status(data) == ["ok", "ok"] and fr.declared_len[1] > 1024


def test_gzip_files_are_read(tmp_path) -> None:
    import gzip

    path = tmp_path / "m_202401.log.gz"
    path.write_bytes(gzip.compress(frame(SEG).encode() * 3))
    assert parse_files([path]).counts["packets_valid"] == 1  # the other two are duplicates


def test_empty_and_blank_files_are_file_level_rejects(tmp_path) -> None:
    import gzip

    empty, blank, gz = tmp_path / "empty.log", tmp_path / "blank.log", tmp_path / "e.log.gz"
    empty.write_bytes(b"")
    blank.write_bytes(b"\r\n \n\t\r\n")
    gz.write_bytes(gzip.compress(b""))
    result = parse_files([empty, blank, gz], root=tmp_path)
    assert result.counts["lines_read"] == 0
    assert result.values.height == 0 and result.events.height == 0
    assert result.rejects.select("source_file", "line_no", "reason", "detail").rows() == [
        ("blank.log", 0, "empty_file", "file holds only whitespace"),
        ("e.log.gz", 0, "empty_file", "gzip file holds no data"),
        ("empty.log", 0, "empty_file", "file has 0 bytes"),
    ]
    assert result.per_file == {n: (1, 0, 1) for n in ("blank.log", "e.log.gz", "empty.log")}


def test_non_utf8_bytes_never_crash_and_a_gbk_packet_still_parses(tmp_path) -> None:
    gbk = SEG.replace("&&DataTime", "&&i11001-Info=//锅炉//;DataTime").encode("gbk")
    good_gbk = b"##%04d%s%04X\r\n" % (len(gbk), gbk, hj212_crc16(gbk))
    noise = frame(SEG).encode().replace(b"12.5", b"1\xff.5")
    path = tmp_path / "gbk.log"
    path.write_bytes(good_gbk + noise)
    result = parse_files([path])
    assert result.counts["packets_valid"] == 1
    assert result.rejects["reason"].to_list() == ["crc_mismatch"]


def test_a_gzip_file_without_its_trailer_is_read_whole_and_reported(tmp_path) -> None:
    import gzip

    data = gzip.compress(frame(SEG).encode() + frame(SEG.replace("12.5", "13.5")).encode() * 50)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) - 8])  # the trailer (CRC32, size) is lost
    result = parse_files([path], root=tmp_path)
    c = result.counts
    assert (c["lines_read"], c["packets_valid"], c["duplicates_resolved"]) == (51, 1, 50)
    problem = result.rejects.filter(pl.col("reason") == "truncated_file")
    assert problem.select("line_no", "raw_text").rows() == [(52, "")]
    assert "trailer" in problem["detail"][0]
    assert result.per_file["cut.log.gz"] == (52, 1, 51)


def test_a_nul_only_line_is_a_reject_and_garbage_holding_hashes_is_one_record() -> None:
    good = frame(SEG).rstrip("\r\n")
    data = f"{good}\r\n\x00\x00\x00\r\nxx##1234yy\r\n##12##1234\r\n\r\n{good}\x00\x00\r\n".encode()
    fr = framing.frame_buffer(data)
    assert _status(data) == ["ok", "bad_header", "bad_header", "bad_header", "ok"]
    assert fr.line_no.tolist() == [1, 2, 3, 4, 6]
    assert framing.split_records(np.frombuffer(data, np.uint8)).blank_lines == 1


def test_a_line_splits_only_next_to_a_packet_that_checks_out() -> None:
    good = frame(SEG).rstrip("\r\n")
    other = frame(SEG.replace("12.5", "13.5")).rstrip("\r\n")
    data = f"{good}{other}\r\n{good}##1234garbage\r\nnoise##0001x{good}\r\n".encode()
    fr = framing.frame_buffer(data)
    texts = [fr.text(i) for i in range(len(fr.start))]
    assert _status(data) == ["ok", "ok", "ok", "truncated", "bad_header", "ok"]
    assert texts[3:5] == ["##1234garbage", "noise##0001x"]
    assert fr.line_no.tolist() == [1, 1, 2, 2, 3, 3]
