"""Keep freed memory in the process during a build instead of handing it back to the kernel.

Parsing packet logs allocates and frees arrays of tens to hundreds of MB per block. By default
glibc (numpy's allocator) serves those with fresh mmaps and polars' jemalloc purges freed pages
soon after: every block then page-faults its memory in again. Measured on 500,000 packets this
costs ~3-5 s of kernel time against ~6 s of parsing. Here glibc keeps large blocks on its heap
and jemalloc purges only after 10 s idle, so repeat work reuses warm pages. The cost is a
higher resident size while a build runs, which the build machine has (24 GiB).

Both settings are process-wide. jemalloc reads its configuration once, when polars is first
imported (polars writes its own defaults into `_RJEM_MALLOC_CONF` and appends what it finds
there; the last setting wins), so `tune()` runs from the package's `__init__` before anything
imports polars. An explicit `_RJEM_MALLOC_CONF` or `LANTIAN_DEFAULT_ALLOCATOR=1` leaves the
defaults alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

JEMALLOC_CONF = "dirty_decay_ms:10000,muzzy_decay_ms:10000"
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
GLIBC_OPTIONS = {
    _M_MMAP_THRESHOLD: 1 << 30,  # blocks below 1 GiB come from the heap, so they are reused
    _M_TRIM_THRESHOLD: (1 << 31) - 1,  # never shrink the heap mid-build
    _M_TOP_PAD: 256 << 20,  # grow the heap in 256 MiB steps
}


def tune() -> dict[str, bool]:
    """Apply both settings where possible; report which took effect."""
    if os.environ.get("LANTIAN_DEFAULT_ALLOCATOR") == "1":
        return {"jemalloc": False, "glibc": False}
    jemalloc = "polars" not in sys.modules and "_RJEM_MALLOC_CONF" not in os.environ
    if jemalloc:
        os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF
    return {"jemalloc": jemalloc, "glibc": _tune_glibc()}


def _tune_glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return False
    return all(mallopt(option, value) == 1 for option, value in GLIBC_OPTIONS.items())
