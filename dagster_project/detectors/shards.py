"""The devices' inputs split into shards, each judged by a worker process.

Every detector but the ones comparing devices with each other (copy_paste) reads one device's
series at a time, so the devices can be judged in parallel: the input frames are cut into
contiguous groups of devices (MN) of about equal hours, each judged by its own interpreter
(`python -m dagster_project.detectors.shard_worker`). The split never changes a finding, only
where it is computed.

A worker is a fresh interpreter, not a fork (the caller may hold threads a fork would copy
mid-work, and a spawned copy of the caller would re-import its main script): it imports this
package from the same folder as the caller, gets its frames as compressed Arrow IPC on stdin and
returns its result on stdout, and runs its libraries single-threaded, since the workers already
fill the cores.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from dagster_project.detectors.inputs import DetectorInputs

# Below this many input hours a worker's start (a fresh interpreter importing numpy, polars and
# scipy, ~1 s) and its inputs' transfer cost more than the split saves: the county sample and
# the benchmark worlds stay in one process.
MIN_PARALLEL_HOURS = 250_000
# More processes than this hold more copies of the inputs than the gain is worth.
MAX_WORKERS = 4
# One thread per library in a worker: the workers themselves fill the cores.
SINGLE_THREADED = {
    "POLARS_MAX_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


class WorkerFailed(RuntimeError):
    """A worker process exited without a result."""


def default_workers(hours: int) -> int:
    """How many processes judge `hours` input hours: one per core this process may use (up to
    MAX_WORKERS), one when the input is small."""
    if hours < MIN_PARALLEL_HOURS:
        return 1
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may use
    cores = len(affinity(0)) if affinity else os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def device_groups(hourly: pl.DataFrame, shards: int) -> list[list[str]]:
    """The devices (MN) in their order of first appearance, cut into at most `shards` contiguous
    groups of about equal hours; no empty group."""
    counts = hourly.group_by("mn", maintain_order=True).len()
    total = max(int(counts["len"].sum()), 1)
    groups: list[list[str]] = [[]]
    done = 0
    for mn, n in counts.iter_rows():
        if groups[-1] and done >= total * len(groups) / shards:
            groups.append([])
        groups[-1].append(mn)
        done += n
    return [g for g in groups if g]


def device_frames(
    inputs: DetectorInputs, state: pl.DataFrame, mns: list[str]
) -> dict[str, pl.DataFrame]:
    """The hourly inputs, outlet pollutants and operating state of the devices `mns` (no stack
    tests: comparing with them is a whole-county detector)."""
    keep = pl.col("mn").is_in(mns)
    return {
        "hourly": inputs.hourly.filter(keep),
        "outlets": inputs.outlets.filter(keep),
        "state": state.filter(keep),
    }


def run_sharded(
    job: Callable[..., T],
    shards: list[dict[str, pl.DataFrame]],
    *args: Any,
    meanwhile: Callable[[], None] | None = None,
) -> list[T]:
    """`job(*args, **frames)` for each shard's frames, each in a worker process, results in the
    shards' order. `job` must be a module-level function (the worker imports it by name).
    `meanwhile` runs in this process while the workers work."""
    payloads = [pickle.dumps((job, {k: _pack(f) for k, f in s.items()}, args)) for s in shards]
    env = {**os.environ, **SINGLE_THREADED, "PYTHONPATH": _pythonpath()}
    cmd = [sys.executable, "-m", "dagster_project.detectors.shard_worker"]
    with ThreadPoolExecutor(len(payloads)) as feeders:
        procs = [
            subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
            for _ in payloads
        ]
        replies = [
            feeders.submit(p.communicate, data) for p, data in zip(procs, payloads, strict=True)
        ]
        try:
            if meanwhile is not None:
                meanwhile()
            outputs = [r.result() for r in replies]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
    results = []
    for i, (p, (out, err)) in enumerate(zip(procs, outputs, strict=True)):
        if p.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines() or ["(no message)"]
            raise WorkerFailed(
                f"detector worker {i + 1} of {len(procs)} exited with {p.returncode}: {lines[-1]}"
                + "\n"
                + "\n".join(lines[-30:])
            )
        results.append(pickle.loads(out))
    return results


def _pack(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="lz4")
    return buf.getvalue()


def unpack(data: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(data))


def _pythonpath() -> str:
    """The caller's package folder first, so the worker runs the same code as the caller."""
    rest = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(PACKAGE_ROOT), *([rest] if rest else [])])
