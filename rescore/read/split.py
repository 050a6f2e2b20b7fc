"""Cutting one big file into pieces that several workers read at once (issue 18, point 2).

A single 10M-row file used to be one task for one worker, leaving the other cores idle. Here a
Parquet file is cut at row-group boundaries and a CSV/TSV or JSONL file at line boundaries, so
each piece is an ordinary read of part of the file (:mod:`rescore.read.workers` runs them and
joins their results into one :class:`~rescore.read.per_file.FileResult`).

The cuts are chosen so that a piece reads exactly what the one reader would have read:

- every cut falls on a multiple of ``batch_size`` rows, so the readers' batches (whose first
  batch picks the column roles and each of which judges the confidence scale on its own) are
  the same batches as one reader's;
- every piece knows its first absolute line (text) or record (Parquet), so line numbers in items
  and in errors are those of the whole file;
- anything a piece cannot be sure of (a blank line, a CSV row that is not one line because a
  quoted field holds a newline, any error at all) makes the piece raise or fail, and the file is
  then read again by one reader, which gives the one reader's answer or names the error itself.

Compressed files, remote files and ``--on-error skip`` are not split (one reader).
This module only plans and describes pieces: it imports nothing from the rest of the package,
so the readers below it (:mod:`rescore.read.tables`, the adapters) can ask :func:`current`.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: a file is split only when its reading work is at least this many bytes of text
SPLIT_MIN_BYTES = 32 * 1024 * 1024
#: bytes scanned per read when counting lines
_SCAN_BYTES = 16 * 1024 * 1024
#: leading bytes of the compressed formats (gzip, zstd, bzip2, xz): such a file is read whole
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ")
SPLITTABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                       ".pq": "parquet"}


class NotSplittable(Exception):
    """Raised by a piece that cannot be sure it reads what one reader would: read the file whole."""


@dataclass(frozen=True)
class Piece:
    """Part of one file. ``first_row`` is the 0-based index of its first row in the whole file;
    text pieces are the bytes ``[start, end)`` whose first line is ``first_line`` (1-based), with
    ``header`` (a CSV's first line) put in front of every piece but the first; Parquet pieces are
    the row groups ``row_groups``."""

    index: int
    count: int
    first_row: int = 0
    first_line: int = 1
    start: int = 0
    end: int = 0
    header: bytes = b""
    row_groups: tuple[int, ...] = ()

    @property
    def first(self) -> bool:
        return self.index == 0


_CURRENT: contextvars.ContextVar[Piece | None] = contextvars.ContextVar("rescore_piece", default=None)


def current() -> Piece | None:
    """The piece being read in this context, or None when a file is read whole."""
    return _CURRENT.get()


@contextlib.contextmanager
def reading(piece: Piece | None) -> Iterator[None]:
    """Read only ``piece`` of the file inside this block (readers ask :func:`current`)."""
    token = _CURRENT.set(piece)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def whole_file() -> Iterator[None]:
    """Read the whole file inside this block, even within a piece (e.g. the head that decides the
    column roles, which one reader takes from the file's first batch)."""
    with reading(None):
        yield


def kind(path: Path) -> str | None:
    """``csv``, ``jsonl`` or ``parquet`` for a file that may be split, else None (compressed too)."""
    found = SPLITTABLE_SUFFIXES.get(path.suffix.lower())
    if found is None:
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    return None if any(head.startswith(magic) for magic in _COMPRESSED_MAGIC) else found


def plan(path: Path, wanted: int, batch_size: int) -> list[Piece]:
    """At most ``wanted`` pieces of ``path``, cut on multiples of ``batch_size`` rows; one piece
    (``[]``) when the file cannot or need not be split."""
    found = kind(path)
    if wanted < 2 or found is None or batch_size < 1:
        return []
    try:
        pieces = _plan_parquet(path, wanted, batch_size) if found == "parquet" else \
            _plan_text(path, wanted, batch_size, header=found == "csv")
    except OSError:
        return []
    return pieces if len(pieces) > 1 else []


def _plan_parquet(path: Path, wanted: int, batch_size: int) -> list[Piece]:
    """Row-group ranges of about equal rows; a cut only where the rows before it fill whole batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError):
        return []
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    total = sum(sizes)
    cuts, before = [0], 0  # row-group indices where a piece starts
    for group, rows in enumerate(sizes[:-1]):
        before += rows
        target = total * len(cuts) / wanted
        if before >= target and before % batch_size == 0 and len(cuts) < wanted:
            cuts.append(group + 1)
    cuts.append(len(sizes))
    pieces, first_row = [], 0
    for i in range(len(cuts) - 1):
        groups = tuple(range(cuts[i], cuts[i + 1]))
        pieces.append(Piece(i, len(cuts) - 1, first_row=first_row, row_groups=groups))
        first_row += sum(sizes[g] for g in groups)
    return pieces


def _plan_text(path: Path, wanted: int, batch_size: int, header: bool) -> list[Piece]:
    """Byte ranges ending on line ends; each piece starts at a row that begins a batch (the
    ``batch_size``-th row after the header, counted as lines: a file where rows are not lines
    is caught while reading, see the module docstring)."""
    import numpy as np

    size = path.stat().st_size
    # line ends (byte offsets just past each "\n") at every batch boundary: one pass over the file
    skip = 1 if header else 0
    boundaries: list[tuple[int, int]] = []  # (byte offset of a batch's first row, its 0-based line index)
    header_bytes = b""
    lines_before = 0
    with path.open("rb") as handle:
        offset = 0
        while True:
            block = handle.read(_SCAN_BYTES)
            if not block:
                break
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            if header and offset == 0 and len(ends):
                header_bytes = block[: int(ends[0]) + 1]
            # line index (0-based) that starts right after each "\n" in this block
            starts_line = lines_before + 1 + np.arange(len(ends))
            rows = starts_line - skip  # rows before that line
            at_batch = (rows > 0) & (rows % batch_size == 0)
            boundaries.extend((offset + int(e) + 1, int(line)) for e, line in zip(ends[at_batch], starts_line[at_batch],
                                                                                  strict=True))
            lines_before += len(ends)
            offset += len(block)
    if header and not header_bytes:
        return []
    boundaries = [(b, line) for b, line in boundaries if b < size]
    if not boundaries:
        return []
    cuts: list[tuple[int, int]] = [(0, 0)]
    for byte, line in boundaries:
        if byte >= size * len(cuts) / wanted and len(cuts) < wanted:
            cuts.append((byte, line))
    pieces = []
    for i, (start, line) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else size
        pieces.append(Piece(i, len(cuts), first_row=max(line - skip, 0), first_line=line + 1, start=start, end=end,
                            header=header_bytes if i else b""))
    return pieces


class _PieceRaw(io.RawIOBase):
    """The raw bytes of one text piece: its header (if any), then bytes ``[start, end)`` of the file."""

    def __init__(self, path: Path, piece: Piece) -> None:
        super().__init__()
        self._handle = path.open("rb")
        self._handle.seek(piece.start)
        self._prefix = piece.header
        self._left = piece.end - piece.start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._left <= 0:
            return 0
        n = self._handle.readinto(view[: min(len(view), self._left)])
        self._left -= n or 0
        return n or 0

    def close(self) -> None:
        self._handle.close()
        super().close()


def open_piece(path: Path, piece: Piece) -> io.BufferedReader:
    """A binary file object over one text piece (the header first for a CSV piece but the first)."""
    return io.BufferedReader(_PieceRaw(path, piece), buffer_size=1 << 20)


def lines_in(path: Path, piece: Piece) -> int:
    """How many lines the piece's own bytes hold (a last line without its newline counts).

    Counted by numpy over the piece's bytes mapped into memory, a block at a time: no copy of the
    bytes (reading them into Python first was 0.07-0.10 s of a 129 MB file's 0.03 s here). Where
    the system can, the mapping is populated when made (``MAP_POPULATE``): one call maps every page
    instead of a page fault per 4 KB as numpy walks them (57 MB: 0.033-0.047 s -> 0.014 s)."""
    import mmap
    import os

    import numpy as np

    from rescore.read.mapped import LineCount

    if piece.end <= piece.start:
        return 0
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        end = min(piece.end, size)
        if end <= piece.start:
            return 0
        offset = piece.start - piece.start % mmap.ALLOCATIONGRANULARITY  # a mapping starts on that grain
        populate = getattr(mmap, "MAP_POPULATE", 0)
        mapped = mmap.mmap(handle.fileno(), end - offset, flags=mmap.MAP_SHARED | populate, prot=mmap.PROT_READ,
                           offset=offset) if populate else \
            mmap.mmap(handle.fileno(), end - offset, access=mmap.ACCESS_READ, offset=offset)
        counted = LineCount()
        with mapped:
            data = np.frombuffer(mapped, dtype=np.uint8)
            for at in range(piece.start - offset, end - offset, _SCAN_BYTES):
                counted.add(data[at:min(at + _SCAN_BYTES, end - offset)])
            del data  # the mapping closes only once no array views it
    return counted.lines


#: line-per-item text formats whose lines tell their bytes per item (the text tables cut at line ends)
LINE_SUFFIXES = frozenset(suffix for suffix, kind in SPLITTABLE_SUFFIXES.items() if kind != "parquet")
_SAMPLE_BYTES = 1 << 16


def sampled_lines(path: Any, size: int) -> int | None:
    """Items in a local CSV/TSV/JSONL file, from the bytes per line of three 64 KB samples.

    A CSV row of a generic table is ~60 bytes and an lm-eval samples line 1-4 KB, so one fixed
    bytes-per-item figure was off by 4-16x either way (a 1M-row CSV looked like 229,000 items).
    The samples are taken at the start, the middle and the end, since ids and texts often grow
    down a file. None when the file cannot be sampled (the caller falls back to bytes / 250).
    """
    if not isinstance(path, Path) or path.suffix.lower() not in LINE_SUFFIXES:
        return None
    try:
        if size <= 3 * _SAMPLE_BYTES:  # small: count exactly
            return lines_in(path, Piece(0, 1, end=size))
        with path.open("rb") as handle:
            lines = 0
            for start in (0, (size - _SAMPLE_BYTES) // 2, size - _SAMPLE_BYTES):
                handle.seek(start)
                lines += handle.read(_SAMPLE_BYTES).count(b"\n")
    except (OSError, ValueError):
        return None
    return max(1, int(size * lines / (3 * _SAMPLE_BYTES)))
