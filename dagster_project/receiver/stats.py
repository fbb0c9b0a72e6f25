"""The station's counters, its per-minute status line and the `/healthz` document."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    started: float = field(default_factory=time.time)
    connections_open: int = 0
    connections_total: int = 0
    records: int = 0  # complete records framed (usable or not)
    landed: int = 0  # packets durably in the landing folder
    answered: int = 0  # answers written (9014 / 9013 after landing; 9011 rejections)
    garbage_bytes: int = 0
    rejected: Counter[str] = field(default_factory=Counter)  # reason -> records
    closed: Counter[str] = field(default_factory=Counter)  # why the station closed connections
    throttled: int = 0
    last_commit: float = field(default_factory=time.time)
    commit_batches: int = 0
    _mark_t: float = field(default_factory=time.time)
    _mark_n: int = 0

    def reject(self, reason: str) -> None:
        self.rejected[reason] += 1

    def status_line(self, now: float | None = None) -> str:
        """One line: connections, landed packets per second since the last line, rejects."""
        now = time.time() if now is None else now
        rate = (self.landed - self._mark_n) / max(now - self._mark_t, 1e-9)
        self._mark_t, self._mark_n = now, self.landed
        rejects = " ".join(f"{k}={v}" for k, v in sorted(self.rejected.items())) or "none"
        closed = " ".join(f"{k}={v}" for k, v in sorted(self.closed.items())) or "none"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        return (
            f"{stamp} station: connections={self.connections_open} "
            f"packets/s={rate:.1f} landed={self.landed} answered={self.answered} "
            f"rejected[{rejects}] closed[{closed}] garbage_bytes={self.garbage_bytes} "
            f"throttled={self.throttled}"
        )

    def health(self, now: float, pending: int, failed: str | None) -> tuple[bool, dict]:
        """(healthy, document): unhealthy when landing failed or packets wait on a stalled
        commit for more than 10 s."""
        stalled = pending > 0 and now - self.last_commit > 10
        ok = failed is None and not stalled
        return ok, {
            "status": "ok" if ok else "failing",
            "reason": failed or ("commit stalled" if stalled else None),
            "uptime_s": round(now - self.started, 1),
            "connections": self.connections_open,
            "connections_total": self.connections_total,
            "records": self.records,
            "landed": self.landed,
            "answered": self.answered,
            "waiting_for_commit": pending,
            "last_commit_age_s": round(now - self.last_commit, 3),
            "commit_batches": self.commit_batches,
            "rejected": dict(self.rejected),
            "closed": dict(self.closed),
            "garbage_bytes": self.garbage_bytes,
            "throttled": self.throttled,
        }
