"""`lantian ui` stops with everything it started, quietly (SIGTERM as from systemd, or SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_project.operate.supervisor import group_members


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ui_stops_its_webserver_daemon_and_code_server(tmp_path: Path, sig: int) -> None:
    port = _free_port()
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb")]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", "ui", "--port", str(port), *warehouse],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 600
    while not _serving(port):
        assert proc.poll() is None and time.monotonic() < deadline, "the UI did not start"
        time.sleep(1)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    group = int(children[0])  # `dagster dev` leads the group of everything the UI started
    assert len(group_members(group)) >= 3  # dagster dev, webserver, daemon (and code server)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert group_members(group) == []
    assert "Traceback" not in output
    assert output.count("WARNING") <= 1, output  # no warning repeated on every load
