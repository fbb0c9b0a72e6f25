"""The build summary: file-level problems listed first and the exit status they give."""

from __future__ import annotations

from pathlib import Path

from dagster_project import warehouse
from dagster_project.build import BuildSummary, summarize
from dagster_project.operate.exit_codes import INPUT_PROBLEMS as EXIT_INPUT_PROBLEMS
from dagster_project.operate.exit_codes import OK as EXIT_OK


def _warehouse(path: Path, rejects: list[tuple], log: list[tuple]) -> Path:
    con = warehouse.connect(path)
    try:
        warehouse.ensure_audit_tables(con)
        con.executemany(
            "insert into audit.rejected_records "
            "(build_id, feed, source_file, line_no, reason, raw_text, sheet, detail) "
            "values (?, ?, ?, ?, ?, '', ?, ?)",
            rejects,
        )
        con.executemany(
            "insert into audit.load_log (build_id, feed, source_file, rows_read, rows_loaded, "
            "rows_rejected, note) values (?, ?, ?, ?, ?, ?, ?)",
            log,
        )
    finally:
        con.close()
    return path


def test_file_level_problems_come_first_and_give_exit_status_3(tmp_path: Path) -> None:
    path = _warehouse(
        tmp_path / "w.duckdb",
        [
            ("b2", "cems", "cems/a.log.gz", 291, "truncated_file", None, "gzip stream ends"),
            ("b2", "cems", "cems/a.log.gz", 12, "crc_mismatch", None, None),
            ("b2", "boilers", "boilers/x.xlsx", 0, "unreadable_file", None, "cannot open"),
            ("b2", "boilers", "boilers/y.csv", 2, "missing_required_column:fuel", None, None),
            ("b2", "boilers", "boilers/y.csv", 3, "missing_required_column:fuel", None, None),
            ("b2", "kilns", "kilns/k.csv", 9, "truncated_row", None, "ends mid-row"),
            ("b1", "cems", "cems/old.log", 0, "empty_file", None, "file has 0 bytes"),
            ("b1", "boilers", "boilers/z.csv", 0, "empty_file", None, "from an old build"),
        ],
        [
            ("b2", "cems", "cems/a.log.gz", 291, 290, 1, "parsed"),
            ("b2", "cems", "cems/old.log", 0, 0, 0, "unchanged, skipped"),
            ("b2", "boilers", "boilers/z.csv", 3, 3, 0, None),
        ],
    )
    summary = summarize(path, "b2", 1.0, [])
    got = [(p.source_file, p.line_no, p.reason, p.records) for p in summary.inputs.file_problems]
    assert got == [
        ("boilers/x.xlsx", 0, "unreadable_file", 1),
        ("boilers/y.csv", 2, "missing_required_column:fuel", 2),
        ("cems/a.log.gz", 291, "truncated_file", 1),
        ("cems/old.log", 0, "empty_file", 1),  # kept from the build that read the file
        ("kilns/k.csv", 9, "truncated_row", 1),
    ]
    assert summary.exit_code() == EXIT_INPUT_PROBLEMS == 3
    text = summary.render()
    assert text.index("INPUT FILES NOT READ WHOLE (5") < text.index("feed ")
    assert "cems/a.log.gz line 291  truncated_file: gzip stream ends" in text
    assert "[unchanged since an earlier build]" in text
    assert summary.inputs.rejects_by_reason["missing_required_column:fuel"] == 2
    assert "empty_file" not in summary.inputs.rejects_by_reason  # this build's rejects only


def test_a_clean_build_exits_0(tmp_path: Path) -> None:
    path = _warehouse(
        tmp_path / "w.duckdb",
        [("b1", "cems", "cems/a.log", 5, "crc_mismatch", None, None)],
        [("b1", "cems", "cems/a.log", 9, 8, 1, "parsed")],
    )
    summary = summarize(path, "b1", 1.0, [])
    assert summary.inputs.file_problems == [] and summary.exit_code() == EXIT_OK
    assert "NOT READ WHOLE" not in summary.render()
    assert BuildSummary("b", path, 0.0).exit_code() == EXIT_OK
