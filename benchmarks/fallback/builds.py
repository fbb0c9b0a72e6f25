"""Run `lantian build` as a child process and measure it: wall time, CPU time and peak RSS of
the whole process tree (from `os.wait4`, so each build is measured on its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildRun:
    label: str
    warehouse: Path
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    log: Path

    def line(self) -> str:
        return (
            f"build {self.label:<9} {self.seconds:7.1f} s wall, {self.cpu_seconds:7.1f} CPU-s, "
            f"peak RSS {self.peak_rss_mb:6.0f} MB"
        )


class BuildError(RuntimeError):
    pass


def lantian_command() -> list[str]:
    """The `lantian` console script of the running environment (next to its python)."""
    script = Path(sys.executable).parent / "lantian"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "dagster_project.cli"]


def run_build(label: str, sources: Path, warehouse: Path, exports: Path, log: Path) -> BuildRun:
    """`lantian build --sources … --warehouse … --exports …`, output to `log`. dbt is looked up
    on PATH, so the environment's bin folder goes first."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        *lantian_command(),
        "build",
        "--sources",
        str(sources),
        "--warehouse",
        str(warehouse),
        "--exports",
        str(exports),
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise BuildError(f"{label} build failed ({proc.returncode}): {' | '.join(tail)}")
    return BuildRun(
        label=label,
        warehouse=warehouse,
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        log=log,
    )
