"""The keys (MN, CN, DataTime, PNO) of the data packets kept so far in a parse, to reject later
copies as duplicates while the logs stream by piece.

One sorted int64 array per (MN, CN): DataTime in milliseconds (DataTime has at most 3 millisecond
digits) shifted left 16 bits, PNO in the low bits (0 for an unsplit packet; PNO is 1-65535 when
sent). A piece adds its keys to the few arrays of the loggers it holds, so memory is 8 bytes per
packet kept (a county-year of minute data, ~55 M packets: ~440 MB) and the cost per piece is a
merge of those arrays.
"""

from __future__ import annotations

import numpy as np
import polars as pl

MAX_PNO = (1 << 16) - 1


def packet_key(data_time: pl.Expr, pno: pl.Expr) -> pl.Expr:
    """The int64 key of a packet within its (MN, CN): DataTime ms << 16 | PNO."""
    millis = data_time.dt.epoch("ms")
    return millis * (1 << 16) + pno.fill_null(0).clip(0, MAX_PNO).cast(pl.Int64)


class SeenPackets:
    """Keys of the packets kept so far (see the module docstring)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return sum(len(a) for a in self._keys.values())

    def add(self, packets: pl.DataFrame) -> np.ndarray:
        """Record the packets (mn, cn, data_time, pno; distinct keys); return a mask of those
        already seen before, which are not added again."""
        seen = np.zeros(packets.height, dtype=bool)
        if not packets.height:
            return seen
        keyed = packets.select(
            "mn",
            "cn",
            key=packet_key(pl.col("data_time"), pl.col("pno")),
            row=pl.int_range(pl.len(), dtype=pl.Int64),
        )
        for (mn, cn), part in keyed.group_by(["mn", "cn"], maintain_order=True):
            bucket = (str(mn), str(cn))
            new = part.get_column("key").to_numpy()
            rows = part.get_column("row").to_numpy()
            old = self._keys.get(bucket, np.zeros(0, dtype=np.int64))
            hit = np.zeros(len(new), dtype=bool)
            if len(old):
                pos = np.minimum(np.searchsorted(old, new), len(old) - 1)
                hit = old[pos] == new
            seen[rows[hit]] = True
            fresh = np.sort(new[~hit])
            # a merge of two sorted arrays: one copy of the bucket, not a sort of it
            self._keys[bucket] = np.insert(old, np.searchsorted(old, fresh), fresh)
        return seen
