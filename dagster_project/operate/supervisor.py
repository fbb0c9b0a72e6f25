"""Children die with the build: the build runs in a worker process that leads its own process group.

`lantian build` (the supervisor, the process cron or systemd started) starts the worker in a new
process group; dbt and every other child of the build inherit that group. Then:

* the supervisor is killed (even with SIGKILL): the kernel sends the worker SIGTERM (Linux
  parent-death signal); the worker stops its whole group, removes its temporary files and exits;
* the worker dies (even with SIGKILL): the supervisor kills what is left of the group, removes
  the build's temporary files and exits 1;
* SIGTERM, SIGINT or SIGHUP to the supervisor: passed on to the worker, which cleans up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

_PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 5.0
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """For the child before exec: `sig` when the parent dies (kept across execve), and the stop
    signals back to their defaults (a shell's background job starts with SIGINT ignored, and
    Python then never raises KeyboardInterrupt)."""

    def setup() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
        for stop in _FORWARDED:
            signal.signal(stop, signal.SIG_DFL)

    return setup


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (from /proc), excluding this process."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def kill_group(pgid: int, sig: int = signal.SIGKILL, spare: frozenset[int] = frozenset()) -> None:
    """Signal every other member of the group (this process, if a member, is spared)."""
    for pid in group_members(pgid):
        if pid not in spare:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


def _own_helpers() -> frozenset[int]:
    """Python's own helper processes: multiprocessing's resource tracker ends with this process
    (killing it first makes the interpreter start another one at exit, which then complains)."""
    from multiprocessing import resource_tracker

    pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    return frozenset({pid}) if pid else frozenset()


SUPERVISOR_ENV = "LANTIAN_SUPERVISOR_PID"


def spawn_dying_with_parent(cmd: list[str], **popen: object) -> subprocess.Popen:
    """A child that gets SIGTERM when this process dies (e.g. `lantian build` run by a Dagster
    op: killing the run's process stops the build, which cleans up)."""
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent(), **popen)  # type: ignore[call-overload]


def run_supervised(
    cmd: list[str],
    cleanup: Callable[[], None],
    what: str = "the build",
    cwd: Path | None = None,
    stop_with: int | None = None,
) -> int:
    """Run the worker `cmd` in its own process group; return its exit code (1 if it was killed).

    A stop signal received (or this process dying) reaches the worker as itself, or as
    `stop_with` (SIGINT for a worker that shuts down cleanly on KeyboardInterrupt)."""
    env = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
    setup = _die_with_parent(stop_with or signal.SIGTERM)
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, process_group=0, preexec_fn=setup)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, stop_with or signum)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code < 0:  # killed by a signal: it could not clean up
        kill_group(proc.pid)
        cleanup()
        name = signal.Signals(-code).name
        print(f"{what} failed: its process was killed ({name})", file=sys.stderr)
        return 1
    # Helpers that end with the worker (multiprocessing's resource tracker) get a moment to go.
    deadline = time.monotonic() + GRACE_SECONDS
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    kill_group(proc.pid)
    return code


class Terminated(BaseException):
    """The worker was told to stop (SIGTERM/SIGINT/SIGHUP, or its supervisor died)."""


@contextlib.contextmanager
def worker_signals() -> Iterator[None]:
    """In the worker: a stop signal ends the build's children and unwinds the build (its
    `finally` blocks remove the temporary files); the group is killed on the way out."""

    leader = os.getpgrp() == os.getpid()

    def stop(signum: int, _frame: object) -> None:
        for sig in _FORWARDED:
            signal.signal(sig, signal.SIG_IGN)
        if leader:
            kill_group(os.getpgrp(), signal.SIGTERM, spare=_own_helpers())
        raise Terminated(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in _FORWARDED}
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor and os.getppid() != int(supervisor):
        raise Terminated("the supervisor died before the build started")
    try:
        yield
    except BaseException:
        if leader:  # a failed or stopped build leaves no child running
            kill_group(os.getpgrp(), signal.SIGKILL, spare=_own_helpers())
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
