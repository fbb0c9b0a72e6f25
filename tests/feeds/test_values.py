"""Typing of ledger text values: accepted forms, nulls, and the reject reasons."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dagster_project.feeds.contracts import Column
from dagster_project.feeds.encodings import UndecodableError, decode_ledger_bytes
from dagster_project.feeds.values import type_columns


def _typed(kind: str, values: list[str | None], required: bool = False) -> pl.DataFrame:
    return type_columns(
        pl.DataFrame({"v": values}, schema={"v": pl.String}), (Column("v", kind, required),)
    )


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("int", "12", 12),
        ("int", "1,200", 1200),
        ("int", "12.0", 12),
        ("int", "１２", 12),
        ("float", "1.5", 1.5),
        ("float", ".5", 0.5),
        ("float", "1,200.5", 1200.5),
        ("float", " 3 ", 3.0),
        ("bool", "是", True),
        ("bool", "否", False),
        ("bool", "Y", True),
        ("bool", "n", False),
        ("bool", "Yes", True),
        ("bool", "FALSE", False),
        ("bool", "1", True),
        ("bool", "0", False),
        ("bool", "有", True),
        ("bool", "无", False),
        ("date", "2024-01-05", dt.date(2024, 1, 5)),
        ("date", "2024/1/5", dt.date(2024, 1, 5)),
        ("date", "2024年1月5日", dt.date(2024, 1, 5)),
        ("date", "2024-01-05 00:00:00", dt.date(2024, 1, 5)),
        ("date", "45296", dt.date(2024, 1, 5)),  # Excel serial day
        ("datetime", "2024-01-05 10:03", dt.datetime(2024, 1, 5, 10, 3)),
        ("datetime", "2024/1/5 8:03:04", dt.datetime(2024, 1, 5, 8, 3, 4)),
        ("datetime", "2024年1月5日 10:03", dt.datetime(2024, 1, 5, 10, 3)),
        ("datetime", "45296.5", dt.datetime(2024, 1, 5, 12, 0)),
        ("month", "2024-01", dt.date(2024, 1, 1)),
        ("month", "2024/3", dt.date(2024, 3, 1)),
        ("month", "2024年3月", dt.date(2024, 3, 1)),
        ("month", "2024-03-01", dt.date(2024, 3, 1)),  # a month typed into Excel
    ],
)
def test_accepted_forms(kind: str, text: str, expected: object) -> None:
    out = _typed(kind, [text])
    assert out["reject_reason"][0] is None
    assert out["v"][0] == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("int", "12.5"),
        ("int", "abc"),
        ("float", "abc"),
        ("float", "inf"),
        ("float", "1.2.3"),
        ("bool", "maybe"),
        ("date", "2024-02-30"),
        ("date", "05/01/2024"),
        ("datetime", "2024-01-05"),
        ("datetime", "2024-01-05 25:00"),
        ("month", "2024-13"),
        ("month", "2024-01-15"),
    ],
)
def test_bad_values_are_named(kind: str, text: str) -> None:
    out = _typed(kind, [text])
    assert out["v"][0] is None
    assert out["reject_reason"][0] == f"bad_value:v='{text}'"


def test_empty_optional_is_null_and_empty_required_is_rejected() -> None:
    for blank in ("", "   ", "\u3000", None):
        optional = _typed("float", [blank])
        assert optional["v"][0] is None and optional["reject_reason"][0] is None
        required = _typed("float", [blank], required=True)
        assert required["reject_reason"][0] == "missing_value:v"
    # placeholders mean "not applicable" for typed columns
    assert _typed("float", ["/"])["reject_reason"][0] is None


def test_nullable_required_column_accepts_empty() -> None:
    col = Column("grade", "str", required=True, nullable=True)
    out = type_columns(pl.DataFrame({"grade": ["", "A"]}), (col,))
    assert out["grade"].to_list() == [None, "A"]
    assert out["reject_reason"].to_list() == [None, None]


def test_every_fault_of_a_row_is_named() -> None:
    cols = (Column("a", "int"), Column("b", "bool"), Column("c", "str"))
    out = type_columns(pl.DataFrame({"a": ["x"], "b": ["?"], "c": [""]}), cols)
    assert out["reject_reason"][0] == "bad_value:a='x'; bad_value:b='?'; missing_value:c"


def test_encoding_detection() -> None:
    text = "统一社会信用代码,名称\n"
    assert decode_ledger_bytes(text.encode("utf-8")) == (text, "utf-8", False)
    assert decode_ledger_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig", False)
    assert decode_ledger_bytes(text.encode("gbk")) == (text, "gb18030", False)
    assert decode_ledger_bytes(text.encode("gb18030")) == (text, "gb18030", False)
    assert decode_ledger_bytes(text.encode("utf-16")) == (text, "utf-16", False)  # Excel "Unicode"
    with pytest.raises(UndecodableError):
        decode_ledger_bytes(b"\x80\x80\xff")


def test_a_file_cut_inside_a_character_decodes_up_to_the_cut() -> None:
    text = "统一社会信用代码,名称\n甲,乙"
    for encoding, name in (("utf-8", "utf-8"), ("gbk", "gb18030")):
        cut = text.encode(encoding)[:-1]  # the last character loses its last byte
        assert decode_ledger_bytes(cut) == (text[:-1], name, True)
