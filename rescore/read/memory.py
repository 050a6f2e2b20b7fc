"""Let glibc reuse freed megabyte buffers instead of mapping fresh pages for each one.

Reading a large JSONL file in runs of about 1 MB allocates and frees megabyte-sized buffers
per run (each read, and a run joined with the unfinished line before it). glibc serves allocations
above its mmap threshold with a fresh ``mmap`` and gives them back on ``free``; touching the
new pages then costs a page fault per 4 KB, which on the benchmark data made up a third of
the time per lm-eval line (3.9 µs -> 2.1 µs with the change). Raising the mmap and trim
thresholds keeps such buffers on the heap for reuse, which is what Dask's documentation
recommends for its workers too (``MALLOC_TRIM_THRESHOLD_``). The process keeps at most
``TRIM_BYTES`` of freed memory. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's maximum on 64-bit systems
TRIM_BYTES = 128 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_tuned = False


def tune_allocator() -> bool:
    """Set the thresholds once per process; True when glibc accepted them (Arrow then allocates
    through the same tuned glibc heap, :func:`use_system_arrow_pool`)."""
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))
    if _tuned:
        use_system_arrow_pool()
    return _tuned


#: the environment variable by which a user picks Arrow's allocator (then left alone)
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_arrow_pool() -> None:
    """Let Arrow allocate with glibc's malloc (tuned above) instead of its bundled mimalloc,
    unless the user chose a pool with ``ARROW_DEFAULT_MEMORY_POOL``.

    Why: reading one 10M-row Parquet file in a fresh process, mimalloc handed freed pages back
    and faulted new ones in so often that the kernel's share of the time was 2.2-2.5 s of a 3.4-4.0 s
    ``rescore leaderboard``; with the system pool it was 0.7 s (2.8-3.0 s in all; jemalloc about
    the same), at the same peak memory (2-core VM, issue 18). The variable is set for Arrow to
    read when it first allocates (worker processes inherit it); if pyarrow has allocated
    already, its default pool is switched too.
    """
    import os

    if ARROW_POOL_VARIABLE in os.environ:
        return
    os.environ[ARROW_POOL_VARIABLE] = "system"
    if "pyarrow" in sys.modules:
        with contextlib.suppress(AttributeError, NotImplementedError):
            pyarrow = sys.modules["pyarrow"]
            pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def release_arrow_memory() -> None:
    """Hand the memory Arrow freed back to the system now.

    Arrow's allocator (mimalloc or jemalloc) returns freed pages lazily, over seconds. After a
    big item table is loaded its Arrow-string columns have just become categories
    (:func:`rescore.read.schema.compact`): without this, the 1.4 GB they held stays resident
    while the statistics allocate their own arrays, and the two add up to the peak.
    """
    if "pyarrow" not in sys.modules:
        return
    with contextlib.suppress(AttributeError, NotImplementedError):  # an old pyarrow, or a pool without it
        sys.modules["pyarrow"].default_memory_pool().release_unused()
