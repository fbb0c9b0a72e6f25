"""Incremental CEMS ingest into a real DuckDB file: hashes, replacement, reconciliation."""

from __future__ import annotations

import functools
import gzip
import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dagster_project import guard
from dagster_project.hj212 import ingest, manifest
from dagster_project.hj212.ingest import ensure_tables, ingest_cems
from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import frame, packet

T0 = datetime(2024, 3, 1)


def _hour(mn: str, h: int, value: float = 10.0) -> str:
    t = T0 + timedelta(hours=h)
    return packet(
        qn=f"{t:%Y%m%d%H%M%S}000",
        st="31",
        cn="2061",
        mn=mn,
        data_time=t,
        items=[
            ("a21026", {"Avg": f"{value:.1f}", "Flag": "N"}),
            ("a19001", {"Avg": "9.5", "Flag": "N"}),
        ],
    )


def _write(path: Path, lines: list[str], gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _setup(tmp_path: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
    sources = tmp_path / "sources"
    heartbeat = packet(qn="20240301000030000", st="31", cn="9021", mn="A", data_time=None, items=[])
    _write(
        sources / "cems/east/A_202403.log.gz",
        [_hour("A", h) for h in range(5)] + [heartbeat, "garbage\r\n", _hour("A", 2)],
        gz=True,
    )
    _write(sources / "cems/west/deep/B_202403.log", [_hour("B", h) for h in range(3)])
    return sources, duckdb.connect(str(tmp_path / "wh.duckdb"))


def test_first_ingest_loads_and_reconciles(tmp_path: Path) -> None:
    sources, con = _setup(tmp_path)
    stats = ingest_cems(con, sources / "cems", sources, "b1")
    assert (stats.files_parsed, stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (
        2,
        11,
        9,
        2,
    )
    assert stats.duplicates_resolved == 1
    assert _q(con, "select count(*) from raw.cems_values") == [(16,)]
    assert _q(con, "select event_type, source_file from raw.cems_device_events") == [
        ("heartbeat", "cems/east/A_202403.log.gz")
    ]
    assert _q(
        con, "select source_file, line_no, reason from audit.rejected_records order by 2"
    ) == [
        ("cems/east/A_202403.log.gz", 7, "bad_header"),
        ("cems/east/A_202403.log.gz", 8, "duplicate"),
    ]
    bad = _q(
        con, "select count(*) from audit.load_log where rows_read != rows_loaded + rows_rejected"
    )
    assert bad == [(0,)]
    text = str(_q(con, "select * from audit.rejected_records")) + str(
        _q(con, "select * from raw.cems_device_events")
    )
    assert "123456" not in text


def test_reingest_unchanged_adds_nothing_and_changed_file_is_replaced(tmp_path: Path) -> None:
    sources, con = _setup(tmp_path)
    ingest_cems(con, sources / "cems", sources, "b1")
    before = _q(con, "select count(*) from raw.cems_values")
    stats = ingest_cems(con, sources / "cems", sources, "b2")
    assert (stats.files_parsed, stats.files_skipped) == (0, 2)
    assert _q(con, "select count(*) from raw.cems_values") == before
    assert (
        _q(con, "select note, rows_read from audit.load_log where build_id = 'b2'")
        == [("unchanged, skipped", 0)] * 2
    )
    # B's file changes: a value is corrected and an hour added
    _write(
        sources / "cems/west/deep/B_202403.log",
        [_hour("B", 0, 99.0)] + [_hour("B", h) for h in range(1, 4)],
    )
    stats = ingest_cems(con, sources / "cems", sources, "b3")
    assert (stats.files_parsed, stats.files_skipped) == (1, 1)
    rows = _q(
        con,
        """select count(*), max(value) filter (where pollutant_code = 'a21026')
                      from raw.cems_values where mn = 'B'""",
    )
    assert rows == [(8, 99.0)]
    assert _q(con, "select count(distinct build_id) from raw.cems_values where mn = 'B'") == [(1,)]
    # the file is removed: its rows go too
    (sources / "cems/west/deep/B_202403.log").unlink()
    stats = ingest_cems(con, sources / "cems", sources, "b4")
    assert stats.files_removed == 1
    assert _q(con, "select count(*) from raw.cems_values where mn = 'B'") == [(0,)]


def test_a_log_is_hashed_again_only_when_its_size_or_mtime_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, con = _setup(tmp_path)
    ingest_cems(con, sources / "cems", sources, "b1")
    stamps = "select count(*) from audit.cems_ingested_files where mtime_ns is not null"
    assert _q(con, stamps) == [(2,)]
    hashed: list[str] = []
    real = ingest.sha256_file
    monkeypatch.setattr(ingest, "sha256_file", lambda p: hashed.append(p.name) or real(p))

    stats = ingest_cems(con, sources / "cems", sources, "b2")
    assert (hashed, stats.files_skipped) == ([], 2)  # nothing read to know nothing changed
    b_log = sources / "cems/west/deep/B_202403.log"
    os.utime(b_log, ns=(b_log.stat().st_atime_ns, b_log.stat().st_mtime_ns + 10**9))  # touched
    stats = ingest_cems(con, sources / "cems", sources, "b3")
    assert (hashed, stats.files_parsed, stats.files_skipped) == (["B_202403.log"], 0, 2)
    ingest_cems(con, sources / "cems", sources, "b4")  # its new mtime was recorded
    assert hashed == ["B_202403.log"]

    # a record from before stamps were kept: hashed once, then stamped
    con.execute("update audit.cems_ingested_files set size_bytes = null, mtime_ns = null")
    ingest_cems(con, sources / "cems", sources, "b5")
    ingest_cems(con, sources / "cems", sources, "b6")
    assert sorted(hashed) == ["A_202403.log.gz", "B_202403.log", "B_202403.log"]
    # one more hour written, its mtime put back as recorded: the size tells
    recorded = b_log.stat().st_mtime_ns
    _write(b_log, [_hour("B", h) for h in range(4)])
    os.utime(b_log, ns=(b_log.stat().st_atime_ns, recorded))
    stats = ingest_cems(con, sources / "cems", sources, "b7")
    assert stats.files_parsed == 1
    assert _q(con, "select count(*) from raw.cems_values where mn = 'B'") == [(8,)]


def test_a_packet_already_loaded_from_another_file_is_a_duplicate(tmp_path: Path) -> None:
    sources, con = _setup(tmp_path)
    ingest_cems(con, sources / "cems", sources, "b1")
    _write(sources / "cems/late/B_resend.log", [_hour("B", 1, 55.0), _hour("B", 7)])
    stats = ingest_cems(con, sources / "cems", sources, "b2")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected, stats.duplicates_resolved) == (
        2,
        1,
        1,
        1,
    )
    assert _q(
        con, "select max(value) from raw.cems_values where mn = 'B' and pollutant_code = 'a21026'"
    ) == [(10.0,)]
    assert _q(con, "select line_no, reason from audit.rejected_records where build_id = 'b2'") == [
        (1, "duplicate")
    ]


def test_a_warehouse_from_before_the_lake_is_read_again_once(tmp_path: Path) -> None:
    """An office upgrading keeps its warehouse: the values table of old is replaced by the lake
    and every log is read again, so each event and reject is there once, not twice."""
    sources, con = _setup(tmp_path)
    ingest_cems(con, sources / "cems", sources, "b1")
    con.close()
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute(f"attach '{tmp_path / 'wh.duckdb'}' as new (read_only)")
    old.execute("create schema raw")
    old.execute("create schema audit")
    old.execute("create table raw.cems_values as select * from new.raw.cems_values")
    for table in ("raw.cems_device_events", "audit.cems_ingested_files", "audit.rejected_records"):
        old.execute(f"create table {table} as select * from new.{table}")
    old.execute("detach new")
    stats = ingest_cems(old, sources / "cems", sources, "b2")
    assert (stats.files_parsed, stats.rows_rejected) == (2, 2)
    assert _q(old, "select count(*) from raw.cems_values") == [(16,)]
    assert _q(old, "select count(*) from raw.cems_device_events") == [(1,)]
    assert _q(old, "select build_id, count(*) from audit.rejected_records group by 1") == [
        ("b2", 2)
    ]
    files = "select count(*), count(distinct source_file) from audit.cems_ingested_files"
    assert _q(old, files) == [(2, 2)]


def test_missing_cems_folder_creates_empty_tables(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    stats = ingest_cems(con, tmp_path / "nope", tmp_path, "b1")
    assert "no cems folder" in stats.note
    assert _q(con, "select count(*) from raw.cems_values") == [(0,)]
    assert _q(con, "select count(*) from raw.cems_device_events") == [(0,)]


def _odd_lines() -> list[str]:
    """Packets that do not fit one wide row per code: empty values, vendor fields, a field sent
    twice, mixed 2005/2017 codes, a bare Flag, a station in Pa, a split set, two months."""
    t = datetime(2024, 3, 31, 23)
    odd = [
        ("a21026", {"Avg": "", "Min": "1", "Flag": "N"}),
        ("a21026", {"Avg": "2", "Avg2": "3.5", "Flag": "N"}),
        ("02", {"Avg": "4", "Flag": "F"}),
        ("a01013", {"Avg": "-123.4", "ZsAvg": "1"}),
        ("SB1", {"RS": "1"}),
    ]
    lines = [
        packet(qn="1", st="31", cn="2061", mn="ODD", data_time=t, items=odd),
        packet(qn="2", st="31", cn="2051", mn="ODD", data_time=t + timedelta(hours=1), items=odd),
        packet(qn="3", st="31", cn="2011", mn="V", data_time=t, items=[("a21026", {"Rtd": "1"})]),
        packet(
            qn="4",
            st="31",
            cn="2061",
            mn="V",
            data_time=t,
            items=[("a21026", {"Avg": "5"})],
            extra_cp=["Flag=D"],
        ),
    ]
    for pno, cp in ((1, "a21026-Avg=7.0"), (2, "a21026-Flag=D;a21026-Cou=0.1")):
        seg = (
            f"QN=5;ST=31;CN=2061;PW=123456;MN=SPLIT;Flag=6;PNUM=2;PNO={pno};"
            f"CP=&&DataTime=20240301100000;{cp}&&"
        )
        lines.append(frame(seg))
    return lines


def test_the_lake_views_give_back_every_value_row(tmp_path: Path) -> None:
    """raw.cems_values (the readings in Parquet, unpivoted) holds exactly the parser's rows."""
    sources = tmp_path / "sources"
    _write(sources / "cems/odd.log", _odd_lines())
    _write(sources / "cems/more.log.gz", [_hour("A", h) for h in range(30)], gz=True)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ingest_cems(con, sources / "cems", sources, "b1")
    parsed = parse_files(sorted((sources / "cems").glob("*")), root=sources).values
    expected = parsed.with_columns(pl.col(pl.Categorical).cast(pl.String))
    got = con.sql(f"select {', '.join(expected.columns)} from raw.cems_values").pl()
    key = ["source_file", "line_no", "pollutant_code", "field", "code_sent", "value"]
    assert_frame_equal(got.sort(key, nulls_last=True), expected.sort(key, nulls_last=True))
    assert expected.filter(pl.col("unit") == "Pa").height == 2  # a01013 Avg in Pa, ZsAvg not
    assert expected.filter(pl.col("field") == "Avg2").height == 2
    months = _q(con, "select distinct month from audit.cems_lake_files order by 1")
    assert months == [("2024-03",), ("2024-04",)]
    assert (tmp_path / "wh.lake" / "cems_readings" / "month=2024-04").is_dir()
    merge = _q(
        con,
        "select mn, bool_and(needs_merge) from raw.cems_readings group by mn "
        "having bool_or(needs_merge) order by mn",
    )
    assert merge == [("ODD", True), ("SPLIT", True)]  # two rows of a21026 in a packet; split


def test_files_still_open_for_writing_are_not_ingested(tmp_path: Path) -> None:
    sources, con = _setup(tmp_path)
    _write(sources / "cems/landing/C/2024030100.log.part", [_hour("C", 0)])
    _write(sources / "cems/landing/.station/journal-2024030100-1.wal", [_hour("C", 0)])
    stats = ingest_cems(con, sources / "cems", sources, "b1")
    assert stats.files_seen == 2
    assert _q(con, "select count(*) from raw.cems_values where mn = 'C'") == [(0,)]
    # closed (renamed to .log), the file is picked up
    part = sources / "cems/landing/C/2024030100.log.part"
    part.rename(part.with_suffix(""))
    stats = ingest_cems(con, sources / "cems", sources, "b2")
    assert (stats.files_parsed, stats.files_skipped) == (1, 2)
    assert _q(con, "select count(*) from raw.cems_values where mn = 'C'") == [(2,)]


def test_the_manifest_counts_the_value_rows_of_every_file(tmp_path: Path) -> None:
    """The value count the guard and the summary read (no scan of the lake) is the view's count,
    split packets and extra fields included; a manifest from before the count gets it once, and a
    read-only warehouse of that age is counted over the view."""
    sources = tmp_path / "sources"
    _write(sources / "cems/odd.log", _odd_lines())
    _write(sources / "cems/more.log.gz", [_hour("A", h) for h in range(30)], gz=True)
    wh = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    ingest_cems(con, sources / "cems", sources, "b1")
    parsed = parse_files(sorted((sources / "cems").glob("*")), root=sources).values.height
    by_file = _q(
        con, "select count(*), count(value_rows), sum(value_rows) from audit.cems_lake_files"
    )
    assert by_file[0][0] == by_file[0][1] >= 3  # every file (two logs, two months) counted
    assert by_file[0][2] == parsed == _q(con, "select count(*) from raw.cems_values")[0][0]
    assert manifest.value_count(con) == parsed
    assert guard.measure(con, {"feed:cems"}) == {"feed:cems": parsed}

    con.execute("alter table audit.cems_lake_files drop column value_rows")
    con.close()
    old = duckdb.connect(str(wh), read_only=True)
    assert manifest.value_count(old) == parsed  # over the view
    old.close()
    con = duckdb.connect(str(wh))
    ensure_tables(con, tmp_path / "wh.lake")
    assert _q(
        con, "select count(*) - count(value_rows), sum(value_rows) from audit.cems_lake_files"
    ) == [(0, parsed)]
    _write(sources / "cems/late.log", [_hour("B", h) for h in range(4)])
    ingest_cems(con, sources / "cems", sources, "b2")
    assert (
        manifest.value_count(con)
        == _q(con, "select count(*) from raw.cems_values")[0][0]
        == parsed + 8
    )


def _values(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """raw.cems_values in a total order, without the build that loaded each row."""
    return (
        con.sql("select * exclude (build_id) from raw.cems_values")
        .pl()
        .sort("source_file", "line_no", "pollutant_code", "field")
    )


def _hourly_logs(sources: Path) -> None:
    """A receiving station's landing: one small log per MN and hour."""
    for mn in ("A", "B", "C"):
        for h in range(10):
            _write(sources / f"cems/{mn}/2024030{1 + h // 24}{h % 24:02d}.log", [_hour(mn, h, h)])


def test_small_logs_share_lake_files_and_one_that_changes_or_goes_leaves_the_rest(
    tmp_path: Path, monkeypatch
) -> None:
    sources = tmp_path / "sources"
    _hourly_logs(sources)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ingest_cems(con, sources / "cems", sources, "b1")
    logs, files, values = _q(
        con,
        "select count(*), count(distinct path), sum(value_rows) from audit.cems_lake_files",
    )[0]
    assert (logs, files) == (30, 1)  # thirty logs, one lake file
    parsed = parse_files(sorted((sources / "cems").rglob("*.log")), root=sources).values
    assert values == parsed.height == _q(con, "select count(*) from raw.cems_values")[0][0]

    # one log changes, one goes: their rows go, the other 28 logs' rows move to a new file
    _write(sources / "cems/B/2024030103.log", [_hour("B", 3, 99.0)])
    (sources / "cems/C/2024030107.log").unlink()
    ingest_cems(con, sources / "cems", sources, "b2")
    paths = [p for (p,) in _q(con, "select distinct path from audit.cems_lake_files")]
    assert len(paths) == 2 and any("kept-b2" in p for p in paths)
    assert _q(con, "select count(*) from audit.cems_lake_files") == [(29,)]
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    ingest_cems(fresh, sources / "cems", sources, "f1")
    assert_frame_equal(_values(con), _values(fresh))
    assert _q(
        con,
        "select value from raw.cems_values where mn = 'B' and data_time = "
        "timestamp '2024-03-01 03:00:00' and pollutant_code = 'a21026'",
    ) == [(99.0,)]

    # the same rows as parsing each log on its own (small logs grouped or not)
    monkeypatch.setattr(ingest, "ParseStream", functools.partial(ingest.ParseStream, group_bytes=0))
    alone = duckdb.connect(str(tmp_path / "alone.duckdb"))
    ingest_cems(alone, sources / "cems", sources, "a1")
    assert _q(alone, "select count(distinct path) from audit.cems_lake_files") == [(29,)]
    assert_frame_equal(_values(alone), _values(fresh))
