"""Progress while a build runs: one line per finished stage with its counts and times.

`text` lines are for a terminal or a cron mail; `json` lines (one object per line) are for log
collectors. `--quiet` prints nothing but the final outcome. The Dagster wiring that turns step
events into stages is `defs/progress_logger.py`; this module only formats and writes.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

Count = int | float | str


class Progress:
    def __init__(self, stream: TextIO, fmt: str = "text", quiet: bool = False) -> None:
        if fmt not in ("text", "json"):
            raise ValueError(f"unknown log format {fmt!r}; choose text or json")
        self.stream = stream
        self.fmt = fmt
        self.quiet = quiet
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _emit(self, event: str, text: str, fields: Mapping[str, Any]) -> None:
        if self.fmt == "json":
            record = {"event": event, "elapsed_s": round(self.elapsed(), 1), **fields}
            line = json.dumps(record, ensure_ascii=False, default=str)
        else:
            line = f"[{self.elapsed():7.1f} s] {text}"
        self.stream.write(line + "\n")
        self.stream.flush()

    def stage(self, name: str, seconds: float, counts: Mapping[str, Count]) -> None:
        """A finished stage (an ingest feed, dbt, the detectors, the exports, a check)."""
        if self.quiet:
            return
        shown = " ".join(f"{k}={_num(v)}" for k, v in counts.items())
        text = f"{name:<34}{shown}  ({seconds:.1f} s)" if shown else f"{name} ({seconds:.1f} s)"
        self._emit("stage", text, {"stage": name, "seconds": round(seconds, 2), **counts})

    def note(self, text: str, **fields: Any) -> None:
        """A build-level step: start, guard, publish, pruning."""
        if not self.quiet:
            self._emit("note", text, {"message": text, **fields})

    def outcome(self, result: str, text: str, **fields: Any) -> None:
        """The last line: printed even with --quiet."""
        self._emit("result", text, {"result": result, "message": text, **fields})


def _num(value: Count) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


_ACTIVE: list[Progress] = []


@contextlib.contextmanager
def reporting_to(progress: Progress) -> Iterator[Progress]:
    """Make `progress` the sink of the Dagster progress logger for the duration of a build."""
    _ACTIVE.append(progress)
    try:
        yield progress
    finally:
        _ACTIVE.remove(progress)


def active() -> Progress | None:
    return _ACTIVE[-1] if _ACTIVE else None
