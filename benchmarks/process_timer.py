"""Time a command as a whole process tree: wall seconds, CPU seconds, and peak memory.

Peak memory is reported two ways: the largest single process of the tree (from the kernel's
rusage of waited-for descendants, exact) and the largest sum of the tree's resident sizes seen
by sampling /proc every 0.2 s (the build runs dbt as a child while its own process stays
resident, so the sum is what the machine must hold). Linux only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    max_process_rss_mb: float  # the largest single process
    max_tree_rss_mb: float  # the largest sampled sum over the process tree
    returncode: int
    output: str


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _tree_rss_kb(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        todo += _children(pid)
    return total


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `cmd` to the end; its output (stdout and stderr) is kept, not printed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    output = proc.stdout.read()
    # wait4: this child's own usage, its waited-for descendants (dbt) included
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Run(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_process_rss_mb=usage.ru_maxrss / 1024,
        max_tree_rss_mb=peak[0] / 1024,
        returncode=proc.returncode,
        output=output,
    )
