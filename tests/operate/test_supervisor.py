"""Children die with the build, whichever of its processes is killed, and leave no file behind.

A stand-in worker (the real one is `lantian build --worker`) starts a long child in its process
group and holds a temporary file it removes when it stops, as the build removes its building
file. The end-to-end kills of real builds are in tests/test_build_operations.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_project.operate.supervisor import group_members

WORKER = """
import subprocess, sys, time
from pathlib import Path
from dagster_project.operate.supervisor import Terminated, worker_signals
marker = Path(sys.argv[1])
try:
    with worker_signals():
        child = subprocess.Popen(["sleep", "300"])
        marker.write_text(str(child.pid))
        try:
            time.sleep(300)
        finally:
            marker.unlink(missing_ok=True)
except Terminated:
    sys.exit(1)
"""
SUPERVISOR = """
import sys
from pathlib import Path
from dagster_project.operate.supervisor import run_supervised
marker = Path(sys.argv[1])
worker = [sys.executable, "-c", sys.argv[2], str(marker)]
sys.exit(run_supervised(worker, lambda: marker.unlink(missing_ok=True)))
"""


def _wait(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture
def started(tmp_path: Path):
    marker = tmp_path / "building.tmp"
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(marker), WORKER],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert _wait(marker.exists), "the worker did not start"
    grandchild = int(marker.read_text())
    worker = os.getpgid(grandchild)  # the worker leads the build's process group
    assert worker != os.getpgrp() and _alive(worker)
    yield supervisor, worker, grandchild, marker
    for pid in (supervisor.pid, worker, grandchild):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_killing_the_supervisor_stops_the_whole_build(started) -> None:
    supervisor, worker, grandchild, marker = started
    supervisor.kill()  # SIGKILL: nothing runs in the supervisor any more
    supervisor.wait()
    assert _wait(lambda: not _alive(worker) and not _alive(grandchild))
    assert not marker.exists()
    assert group_members(worker) == []


def test_killing_the_worker_is_cleaned_up_by_the_supervisor(started) -> None:
    supervisor, worker, grandchild, marker = started
    os.kill(worker, signal.SIGKILL)
    assert supervisor.wait(timeout=30) == 1
    assert "killed (SIGKILL)" in supervisor.stderr.read()
    assert _wait(lambda: not _alive(grandchild))
    assert not marker.exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_is_passed_on_and_the_build_cleans_up(started, sig: int) -> None:
    supervisor, worker, grandchild, marker = started
    supervisor.send_signal(sig)
    assert supervisor.wait(timeout=30) != 0
    assert _wait(lambda: not _alive(worker) and not _alive(grandchild))
    assert not marker.exists()
    assert "Traceback" not in supervisor.stderr.read()


# `lantian build` as cron starts it, up to the moment it starts its worker: the worker is what
# imports Dagster, dbt and the lake; the supervisor importing them too would make every build
# wait seconds before its worker even starts.
SUPERVISOR_IMPORTS = """
import sys
from dagster_project.operate import supervisor

def started(cmd, cleanup):
    heavy = {"dagster", "dagster_dbt", "dbt", "great_expectations", "polars", "pyarrow"}
    print(sorted({m.split(".")[0] for m in sys.modules} & heavy))
    return 0

supervisor.run_supervised = started
from dagster_project.cli import main
sys.exit(main(["build", "--sources", sys.argv[1], "--warehouse", sys.argv[2]]))
"""


def test_supervising_build_imports_no_dagster_dbt_or_lake(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", SUPERVISOR_IMPORTS, str(sources), str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
