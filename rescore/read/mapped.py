"""A local file handed to Arrow's CSV and JSON readers as views of a memory map, never as copies.

Why: a Python file object gives Arrow each block as a fresh ``bytes`` (a new 16 MB allocation per
JSON block, every page of it faulted in and zeroed by the kernel, then copied into from the page
cache). Arrow asks a Python source for ``read_buffer`` first when it has one; answered with a
view of the file mapped read-only, the blocks are the page cache's own pages. On a 129 MB JSONL
file: 47,000 page faults -> 7,900, Arrow's read 0.41-0.53 s -> 0.33-0.34 s (median of 6 runs,
system time 0.14-0.36 s -> 0.02-0.08 s); a 57 MB CSV 0.088 -> 0.074 s.

The lines are counted as the blocks go out (:attr:`MappedFile.lines`), on the reader's own thread,
in pages Arrow is about to read anyway: the fast path checks that Arrow read one row per line,
and counting them in a second pass over the file cost a mapping and a scan of its own.

Still a Python source, so a read can be called off between blocks (``stop``), as
:class:`rescore.read.prefetch.Stoppable` does for other files. A mapped file that shrinks while it
is read would fault where its pages were (SIGBUS): before each block the file's size is checked,
and a file that shrank fails the read (``OSError``), which sends it to the general reader, as any
failure of the Arrow read does. (A file cut in the moment between that check and Arrow's parse of
the block is the one case left; rescore's inputs are results already written, not files still
being truncated.)
"""

from __future__ import annotations

import io
import mmap
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np


class LineCount:
    """The lines of bytes seen block by block, in order: each newline ends one, and a last line
    without its newline counts too (what ``wc -l`` misses). One rule for :class:`MappedFile` and
    :func:`rescore.read.split.lines_in`."""

    def __init__(self) -> None:
        self.newlines = 0
        self.last = 10  # the last byte seen (10: b"\n", as if before the first line)

    def add(self, block: np.ndarray) -> None:
        """Count one block (uint8 bytes) that follows those already seen."""
        if len(block):
            self.newlines += int(np.count_nonzero(block == 10))
            self.last = int(block[-1])

    @property
    def lines(self) -> int:
        return self.newlines + (1 if self.last != 10 else 0)


class MappedFile(io.RawIOBase):
    """``path``, read from its start through a read-only memory map; ``read_buffer`` returns views."""

    def __init__(self, path: Path, stop: threading.Event | None = None) -> None:
        super().__init__()
        self._stop = stop
        self._handle = path.open("rb")
        try:
            self._size = os.fstat(self._handle.fileno()).st_size
            # an empty file cannot be mapped; it has no blocks to hand out either
            self._map: mmap.mmap | None = mmap.mmap(self._handle.fileno(), 0, access=mmap.ACCESS_READ) \
                if self._size else None
        except BaseException:
            self._handle.close()
            raise
        self._at = 0
        self._counted = LineCount()

    @property
    def lines(self) -> int | None:
        """The lines of the whole file (a last line without its newline counts), once every byte
        has been handed out; ``None`` before."""
        return None if self._at < self._size else self._counted.lines

    def readable(self) -> bool:
        return True

    def read_buffer(self, size: int = -1) -> Any:
        """The next ``size`` bytes (all that is left when negative) as a view of the map."""
        if self._stop is not None and self._stop.is_set():
            raise OSError("read called off")
        left = self._size - self._at
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0 or self._map is None:
            return b""
        if os.fstat(self._handle.fileno()).st_size < self._at + size:
            raise OSError("the file shrank while it was read")
        view = memoryview(self._map)[self._at:self._at + size]
        self._at += size
        self._counted.add(np.frombuffer(view, dtype=np.uint8))
        return view

    def readinto(self, buffer: Any) -> int:
        view = self.read_buffer(len(buffer))
        buffer[:len(view)] = view
        return len(view)

    def close(self) -> None:
        # the map itself closes once the last view Arrow holds of it is released (closing it under
        # a live view would raise BufferError)
        self._map = None
        self._handle.close()
        super().close()
