"""`lantian build` as operators run it: a subprocess started from another folder, its exit codes,
progress, the shrink guard, kills at several moments, two builds at once, an analyst reading
across the swap, bounded state and the run history. A small generated county keeps each build
to seconds of CPU; the builds that must finish share one published warehouse.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.operate import publish
from dagster_project.operate.supervisor import group_members
from tests.conftest import export_tree


def _env() -> dict[str, str]:
    """The test session's DAGSTER_HOME is not passed on: the build uses its state folder."""
    return {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}


def lantian(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    # -P: as the installed `lantian` script, nothing imported from the working directory
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "dagster_project.cli", *map(str, args)],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Done:
    code: int
    out: str
    err: str

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]


def run(*args: str | Path, cwd: Path) -> Done:
    proc = lantian(*args, cwd=cwd)
    out, err = proc.communicate(timeout=1800)
    return Done(proc.returncode, out, err)


def staged(exports: Path) -> list[str]:
    folder = exports / ".builds"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Published:
    root: Path
    warehouse: Path
    exports: Path
    first: Done


@pytest.fixture(scope="module")
def published(tiny_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    root = tmp_path_factory.mktemp("a")
    warehouse = root / "w.duckdb"
    args = ("build", "--sources", tiny_county, "--warehouse", warehouse)
    # run from a folder holding another `dagster_project` (a checkout of another version, say):
    # the build's worker process must not import it
    decoy = tmp_path_factory.mktemp("cwd") / "dagster_project"
    decoy.mkdir()
    (decoy / "__init__.py").write_text('raise SystemExit("imported from the working directory")\n')
    first = run(*args, "--log-format", "json", "--keep-builds", "3", cwd=decoy.parent)
    assert first.code == 0, first.err
    return Published(root, warehouse, root / "exports", first)


def copy_of(published: Published, name: str, tmp: Path) -> Path:
    """A previous warehouse of its own (no exports yet) for a test that replaces it."""
    folder = tmp / name
    folder.mkdir()
    shutil.copy2(published.warehouse, folder / "w.duckdb")
    return folder / "w.duckdb"


# --- the first build --------------------------------------------------------------------------


def test_first_build_reports_each_stage_with_counts_and_times(published: Published) -> None:
    events = published.first.events()
    stages = {e["stage"]: e for e in events if e["event"] == "stage"}
    assert stages["ingest registry_enterprises"]["rows_loaded"] == 12
    assert stages["ingest cems"]["rows_read"] > 1000
    assert stages["dbt build"]["checks_failed"] == 0 and stages["dbt build"]["checks_passed"] > 100
    assert stages["exports"]["years"] == "2023"
    assert all(e["seconds"] >= 0 for e in stages.values())
    result = events[-1]
    assert result["event"] == "result" and result["result"] == "published"
    assert result["exit_code"] == 0 and result["rows_loaded"] > 0
    assert published.first.err == ""


def test_state_lives_beside_the_warehouse(published: Published) -> None:
    state = published.root / ".lantian"
    assert (state / "dagster_home" / "dagster.yaml").exists()
    build = state / "builds" / published.first.events()[0]["build_id"]
    assert (build / "build.log").stat().st_size > 0
    assert (build / "dbt" / "run_results.json").exists()  # dbt's artifacts of this build
    assert (published.exports / "2023" / "manifest.json").exists()
    assert (published.exports / "reports" / "anomalies.html").exists()


# --- the shrink guard -------------------------------------------------------------------------


def _refused(published: Published, sources: Path, *extra: str) -> Done:
    before_warehouse = sha(published.warehouse)
    before_exports = export_tree(published.exports)
    before_staged = staged(published.exports)
    args = ("build", "--sources", sources, "--warehouse", published.warehouse, "--keep-builds", "3")
    done = run(*args, *extra, cwd=sources.parent)
    assert done.code == 3, done.err
    assert sha(published.warehouse) == before_warehouse
    assert export_tree(published.exports) == before_exports
    assert not list(published.root.glob(".w.duckdb.building-*"))
    assert staged(published.exports) == before_staged  # the refused build's exports are gone
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("build refused: ")
    return done


def test_an_empty_sources_folder_is_refused(published: Published, tmp_path: Path) -> None:
    empty = tmp_path / "sources"
    empty.mkdir()
    done = _refused(published, empty, "--quiet")
    assert "no file in this build's sources" in done.err
    assert done.out == ""  # --quiet


def test_a_missing_feed_folder_is_refused(
    published: Published, tiny_county: Path, tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(tiny_county, sources)
    shutil.rmtree(sources / "cems")
    done = _refused(published, sources)
    assert "feed cems: no file in this build's sources" in done.err


def _half_registry(tiny_county: Path, sources: Path) -> None:
    shutil.copytree(tiny_county, sources)
    path = sources / "registry" / "enterprises.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), encoding="utf-8")


def test_a_half_sized_registry_is_refused(
    published: Published, tiny_county: Path, tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    _half_registry(tiny_county, sources)
    done = _refused(published, sources)
    assert "down 50% from 12" in done.err


def test_status_lists_builds_with_their_outcome_and_state_is_bounded(
    published: Published, tmp_path: Path
) -> None:
    # runs after the three refusals above (same module, file order): with --keep-builds 3 the
    # first, published build's folder and run have been pruned
    done = run("status", "--warehouse", published.warehouse, cwd=tmp_path)
    assert done.code == 0, done.err
    assert done.out.count("refused") >= 3
    assert "down 50% from 12" in done.out and "feed cems: no file" in done.out
    args = ("status", "--warehouse", published.warehouse, "--log-format", "json")
    records = [json.loads(line) for line in run(*args, cwd=tmp_path).out.splitlines()]
    assert [r["outcome"] for r in records] == ["refused"] * 3
    assert all(r["seconds"] > 0 and r["build_id"] for r in records)
    assert len(list((published.root / ".lantian" / "builds").iterdir())) == 3


# --- a rebuild: deterministic exports, compacted file, one build at a time, open readers --------


def _wait_for(condition, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_rebuild_of_the_same_sources_while_an_analyst_reads(
    published: Published, tiny_county: Path, tmp_path: Path
) -> None:
    warehouse = copy_of(published, "b", tmp_path)
    analyst = duckdb.connect(str(warehouse), read_only=True)
    rows_before = analyst.execute("select count(*) from marts.emissions").fetchone()
    rebuild = lantian("build", "--sources", tiny_county, "--warehouse", warehouse, cwd=tmp_path)
    _wait_for(lambda: list(tmp_path.glob("b/.w.duckdb.building-*")))
    second = run("build", "--sources", tiny_county, "--warehouse", warehouse, cwd=tmp_path)
    assert second.code == 1 and "another build of" in second.err
    assert len(second.err.strip().splitlines()) == 1
    _out, err = rebuild.communicate(timeout=1800)
    assert rebuild.returncode == 0, err
    # the analyst's connection still reads the warehouse it opened
    assert analyst.execute("select count(*) from marts.emissions").fetchone() == rows_before
    analyst.close()
    # the same sources give byte-identical exports and manifests, fresh or incremental
    assert export_tree(tmp_path / "b" / "exports") == export_tree(published.exports)
    # and a rebuilt warehouse the size of the first one, not grown by every replaced table
    # (compacted, or left with at most MAX_FREE_SHARE of its blocks free)
    grown = warehouse.stat().st_size / published.warehouse.stat().st_size
    assert 0.95 < grown < 1 / (1 - publish.MAX_FREE_SHARE) + 0.05
    assert not list(tmp_path.glob("b/.w.duckdb.dbt*"))


def test_accept_shrink_publishes_and_is_in_the_run_history(
    published: Published, tiny_county: Path, tmp_path: Path
) -> None:
    """A ledger feed that is really gone (the kilns were closed): refused, then accepted.

    (A half-sized registry cannot be accepted as it stands: the other feeds still name the
    missing enterprises, and dbt's relationship tests rightly fail that build.)"""
    warehouse = copy_of(published, "c", tmp_path)
    sources = tmp_path / "sources"
    shutil.copytree(tiny_county, sources)
    shutil.rmtree(sources / "kilns")
    args = ("build", "--sources", sources, "--warehouse", warehouse)
    refused = run(*args, cwd=tmp_path)
    assert refused.code == 3 and "feed kilns: no file in this build's sources" in refused.err
    done = run(*args, "--accept-shrink", cwd=tmp_path)
    assert done.code == 0, done.err
    assert "accepted shrink (--accept-shrink): feed kilns: no file" in done.out
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from raw.kilns").fetchone() == (0,)
    con.close()
    status = run("status", "--warehouse", warehouse, cwd=tmp_path)
    assert "published*" in status.out and "built with --accept-shrink" in status.out
    assert "refused" in status.out


# --- kills -------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _lines(proc: subprocess.Popen[str]) -> Iterator[dict]:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            yield json.loads(line)


def _dbt_running(worker: int) -> bool:
    for pid in group_members(worker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"dbt" in cmdline and b"build" in cmdline:
            return True
    return False


@pytest.mark.parametrize(
    ("moment", "victim"),
    [("ingest", "supervisor"), ("dbt", "supervisor"), ("exports", "worker")],
)
def test_a_killed_build_leaves_no_process_no_file_and_the_old_warehouse(
    published: Published, tiny_county: Path, tmp_path: Path, moment: str, victim: str
) -> None:
    warehouse = copy_of(published, "d", tmp_path)
    before = sha(warehouse)
    args = ("build", "--sources", tiny_county, "--warehouse", warehouse, "--log-format", "json")
    proc = lantian(*args, cwd=tmp_path)
    lines = _lines(proc)
    next(lines)  # the build started
    _wait_for(lambda: _children(proc.pid), timeout=120)
    worker = _children(proc.pid)[0]
    if moment == "dbt":
        _wait_for(lambda: _dbt_running(worker))
    elif moment == "exports":
        next(e for e in lines if e.get("stage") == "detectors")
    # keep reading stdout so the build never blocks on a full pipe
    threading.Thread(target=lambda: [None for _ in lines], daemon=True).start()
    os.kill(proc.pid if victim == "supervisor" else worker, signal.SIGKILL)
    proc.wait(timeout=120)
    _wait_for(lambda: not group_members(worker), timeout=60)
    folder = warehouse.parent
    _wait_for(lambda: not list(folder.glob(".w.duckdb.building-*")), timeout=60)
    assert sha(warehouse) == before
    _wait_for(lambda: staged(folder / "exports") == [], timeout=60)
    assert not (folder / "exports" / "2023").exists()  # nothing was published
    # the next build is not disturbed by anything the killed one left
    status = run("status", "--warehouse", warehouse, cwd=tmp_path)
    assert status.code == 0


# --- failures named by their cause ----------------------------------------------------------


def test_unusable_arguments_exit_2_in_one_line(tmp_path: Path) -> None:
    done = run("build", "--sources", tmp_path / "nowhere", cwd=tmp_path)
    assert done.code == 2
    assert done.err.strip() == f"build failed: sources folder not found: {tmp_path / 'nowhere'}"


def test_a_corrupt_previous_warehouse_is_named_as_the_user_knows_it(
    tiny_county: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"not a duckdb file" * 1000)
    done = run("build", "--sources", tiny_county, "--warehouse", warehouse, cwd=tmp_path)
    assert done.code == 1
    (line,) = done.err.strip().splitlines()
    assert f"the previous warehouse {warehouse} cannot be read" in line
    assert "building" not in line and "full log:" in line
    assert warehouse.read_bytes() == b"not a duckdb file" * 1000
