"""The hostile corpus built end to end by `lantian build`, as an operator runs it.

One build (a subprocess, so the exit status and every line on the console are the real ones):
the reject rows each case must give, exit status 3 with the file-level problems printed first,
the reconciliation of every file, everything readable loaded, nothing absurd in the marts, and
the planted password in no table, export, report, log or console line.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dagster_project import warehouse
from dagster_project.feeds.contracts import LEDGER_FEEDS
from tests.conftest import REPO, SAMPLE_SOURCES
from tests.hostile.corpus import CUT_LOG, E_BOILER, SECRET, Expected, write_corpus


@dataclass
class Build:
    status: int
    console: str
    warehouse: Path
    exports: Path
    dagster_home: Path
    started: float
    expected: Expected


def _build(root: Path) -> Build:
    expected = write_corpus(SAMPLE_SOURCES, root / "sources")
    home = root / "state"  # Dagster home, build logs and dbt artifacts of this warehouse
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [sys.executable, "-m", "dagster_project.cli", "build"]
    command += ["--sources", str(root / "sources"), "--warehouse", str(root / "warehouse.duckdb")]
    command += ["--exports", str(root / "exports"), "--state-dir", str(home)]
    started = time.time()
    done = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    console = done.stdout + done.stderr
    assert done.returncode in (0, 3), console[-4000:]
    return Build(
        done.returncode,
        console,
        root / "warehouse.duckdb",
        root / "exports",
        home,
        started,
        expected,
    )


def _rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = warehouse.connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_hostile_corpus_end_to_end(tmp_path: Path) -> None:
    build = _build(tmp_path)
    _exit_status_and_problems_first(build)
    _every_case_gives_its_rejects(build)
    _counts_reconcile_per_file(build)
    _everything_readable_is_loaded(build)
    _nothing_absurd_reaches_the_marts(build)
    _the_password_survives_nowhere(build)


def _exit_status_and_problems_first(build: Build) -> None:
    assert build.status == 3, build.console[-3000:]
    out = build.console
    head = out[: out.index("\nfeed ")]
    assert "INPUT FILES NOT READ WHOLE" in head
    for rel in build.expected.file_problems:
        assert rel in head, f"{rel} not listed before the feed table:\n{head}"
    assert "rows loaded with plausibility warnings (raw.*.warnings): boilers 1" in head


def _build_id(build: Build) -> str:
    return _rows(build.warehouse, "select max(build_id) from audit.load_log")[0][0]


def _every_case_gives_its_rejects(build: Build) -> None:
    got = set(
        _rows(
            build.warehouse,
            "select feed, source_file, line_no, reason from audit.rejected_records "
            "where build_id = ?",
            [_build_id(build)],
        )
    )
    missing = build.expected.rejects - got
    assert not missing, f"missing rejects: {sorted(missing)}"
    planted = {r[1] for r in build.expected.rejects}
    extra = {r for r in got if r[1] in planted} - build.expected.rejects
    assert not extra, f"unexpected rejects: {sorted(extra)}"


def _counts_reconcile_per_file(build: Build) -> None:
    bid = _build_id(build)
    log = _rows(
        build.warehouse,
        "select feed, source_file, rows_read, rows_loaded, rows_rejected from audit.load_log "
        "where build_id = ?",
        [bid],
    )
    assert len(log) >= 20
    rejected = dict(
        ((f, s), n)
        for f, s, n in _rows(
            build.warehouse,
            "select feed, source_file, count(*) from audit.rejected_records "
            "where build_id = ? group by all",
            [bid],
        )
    )
    tables: dict[str, str | None] = {"cems": None} | {s.feed: s.table for s in LEDGER_FEEDS}
    for feed, source_file, read, loaded, rejects in log:
        assert read == loaded + rejects, (source_file, read, loaded, rejects)
        assert rejected.get((feed, source_file), 0) == rejects, source_file
        if tables[feed] is None:  # packets: values and device events, one per loaded packet
            sql = (
                "select (select count(distinct line_no) from raw.cems_values where source_file = ?)"
                " + (select count(*) from raw.cems_device_events where source_file = ?)"
            )
            assert _rows(build.warehouse, sql, [source_file] * 2)[0][0] == loaded, source_file
        else:
            sql = f"select count(*) from raw.{tables[feed]} where source_file = ?"
            assert _rows(build.warehouse, sql, [source_file])[0][0] == loaded, source_file


def _everything_readable_is_loaded(build: Build) -> None:
    lines = _rows(
        build.warehouse,
        "select count(*), max(line_no) from (select line_no from raw.cems_values "
        "where source_file = ? union select line_no from raw.cems_device_events "
        "where source_file = ?)",
        [CUT_LOG, CUT_LOG],
    )[0]
    whole = build.expected.loaded_lines[CUT_LOG]
    assert lines == (whole, whole)  # every whole line before the cut (packet or event), no more
    for rel, n in build.expected.loaded_lines.items():
        log = _rows(
            build.warehouse,
            "select rows_loaded from audit.load_log where source_file = ? and build_id = ?",
            [rel, _build_id(build)],
        )
        assert log == [(n,)], rel


def _nothing_absurd_reaches_the_marts(build: Build) -> None:
    assert _rows(build.warehouse, "select max(capacity_t_h) from raw.boilers")[0][0] < 4000
    assert (
        _rows(build.warehouse, "select max(capacity_t_h) from staging.stg_ledgers__boilers")[0][0]
        < 4000
    )
    assert _rows(build.warehouse, "select max(abs(value)) from raw.cems_values")[0][0] < 3e6
    assert _rows(build.warehouse, "select max(avg_measured) from marts.cems_hourly")[0][0] < 3e6
    warned = _rows(
        build.warehouse, "select unit_id, warnings from raw.boilers where warnings is not null"
    )
    assert [w[0] for w in warned] == ["HX04"] and "peat" in warned[0][1]


def _the_password_survives_nowhere(build: Build) -> None:
    assert SECRET not in build.console
    found = _tables_holding(build.warehouse, SECRET)
    assert not found, f"planted password kept in {found}"
    # the scan reads what it claims to: the masked form is where the rejects and events are
    assert {"audit.rejected_records", "raw.cems_device_events"} <= set(
        _tables_holding(build.warehouse, "PW=******")
    )
    exports = [p for p in build.exports.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in exports}
    assert {".html", ".xlsx", ".csv", ".parquet", ".json"} <= kinds, kinds
    assert not [str(p) for p in exports if _file_holds(p, SECRET)]
    read_back = [p for p in exports if p.name.endswith(("inventory.xlsx", "detail.parquet"))]
    assert len(read_back) == 2 and all(_file_holds(p, E_BOILER) for p in read_back)
    logs = [p for p in build.dagster_home.rglob("*") if p.is_file()]
    logs += [
        p
        for p in (REPO / "dbt").glob("*/**/*")
        if p.is_file() and p.suffix in (".json", ".log") and p.stat().st_mtime >= build.started
    ]
    assert any("builds" in p.parts and p.suffix == ".log" for p in logs), logs
    assert any(_file_holds(p, "build_all_assets") for p in logs)  # the run and event storage
    assert not [str(p) for p in logs if _file_holds(p, SECRET)]


def _tables_holding(path: Path, needle: str) -> list[str]:
    """Tables of the warehouse with `needle` in any column (every column cast to text)."""
    columns = _rows(
        path,
        "select table_schema, table_name, list(column_name order by ordinal_position) "
        "from information_schema.columns group by all",
    )
    found = []
    for schema, table, cols in columns:
        text = ", ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in cols)
        n = _rows(
            path,
            f'select count(*) from "{schema}"."{table}" where concat_ws(\'|\', {text}) like ?',
            [f"%{needle}%"],
        )[0][0]
        if n:
            found.append(f"{schema}.{table}")
    return found


def _file_holds(path: Path, needle: str) -> bool:
    """`needle` in a file: parquet read as rows, xlsx member by member, others as bytes."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        frame = pl.read_parquet(io.BytesIO(data))
        return any(needle in str(row) for row in frame.rows())
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(needle.encode() in z.read(n) for n in z.namelist())
    return needle.encode() in data or needle.encode("utf-16-le") in data
