"""Incremental CEMS ingest into a real DuckDB file: hashes, replacement, reconciliation."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.hj212 import ingest
from dagster_project.hj212.ingest import ingest_cems
from dagster_project.hj212.writer import packet

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


def test_missing_cems_folder_creates_empty_tables(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    stats = ingest_cems(con, tmp_path / "nope", tmp_path, "b1")
    assert "no cems folder" in stats.note
    assert _q(con, "select count(*) from raw.cems_values") == [(0,)]
    assert _q(con, "select count(*) from raw.cems_device_events") == [(0,)]


def test_batches_are_sized_by_uncompressed_bytes(tmp_path: Path, monkeypatch) -> None:
    raw = b"x" * 100_000
    gz, plain = tmp_path / "a.log.gz", tmp_path / "b.log"
    gz.write_bytes(gzip.compress(raw))
    plain.write_bytes(raw)
    assert gz.stat().st_size < 1_000
    assert ingest.log_size(gz) == ingest.log_size(plain) == len(raw)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 150_000)
    paths = {"a": gz, "b": plain}
    assert ingest._batches(["a", "b"], paths) == [["a"], ["b"]]  # 200 kB: two batches


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
