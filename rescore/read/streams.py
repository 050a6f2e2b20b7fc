"""Inputs that can be read only once: a FIFO (``<(zcat runs.jsonl.gz)``), ``/dev/stdin``, a device.

Reading a file opens it several times (the adapters' detection sniffs its head, the reader reads
it, a fast path may read it again), which on a named pipe consumed the data at the first open and
hung at the next. So a stream named on the command line is read *once*, into a private temporary
copy with the same file name (detection by suffix still works), bounded by
:data:`MAX_STREAM_BYTES` (``/dev/zero`` is refused after that many bytes instead of filling memory
or disk). Messages and provenance name the stream as the user gave it, never the copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from rescore.errors import InputError

MAX_STREAM_BYTES = 1 << 30  # 1 GiB: a piped dump larger than this should be a file
_BLOCK = 1 << 20


def is_stream(path: Path) -> bool:
    """A FIFO or a character/block device (not a regular file, not a folder)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def _copy_bounded(source: Path, target: Path, limit: int) -> None:
    copied = 0
    try:
        with source.open("rb") as reader, target.open("wb") as writer:
            while True:
                block = reader.read(_BLOCK)
                if not block:
                    break
                copied += len(block)
                if copied > limit:
                    raise InputError(f"the stream is longer than {limit // (1024 * 1024)} MB (the limit for a pipe or "
                                     "device); write it to a file first", path=str(source))
                writer.write(block)
    except OSError as exc:
        raise InputError(f"cannot read the stream ({exc.strerror or exc})", path=str(source)) from None


class StreamCopies:
    """The inputs with every stream replaced by its copy, and the way back to the names given."""

    def __init__(self) -> None:
        self.paths: list[str | Path] = []
        self.original: dict[str, str] = {}  # copy path -> the path the user gave

    def name(self, text: str) -> str:
        """``text`` (a path or a message) with every copy's path replaced by the stream's."""
        for copy, given in self.original.items():
            text = text.replace(copy, given)
        return text

    def renamed(self, exc: InputError) -> InputError:
        if not self.original:
            return exc
        exc.args = (self.name(str(exc)),)
        if exc.path is not None:
            exc.path = self.name(str(exc.path))
        return exc


@contextlib.contextmanager
def copied_streams(paths: Iterable[str | Path], limit: int | None = None) -> Iterator[StreamCopies]:
    """Copy each stream among ``paths`` once into a private folder (removed on exit)."""
    copies = StreamCopies()
    folder: str | None = None
    try:
        for raw in paths:
            path = Path(raw)
            if not is_stream(path):
                copies.paths.append(raw)
                continue
            folder = folder or tempfile.mkdtemp(prefix="rescore-stream-")
            slot = Path(folder) / str(len(copies.original))
            slot.mkdir()
            copy = slot / (path.name or "stream")
            _copy_bounded(path, copy, MAX_STREAM_BYTES if limit is None else limit)
            copies.original[str(copy)] = str(raw)
            copies.paths.append(copy)
        yield copies
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
