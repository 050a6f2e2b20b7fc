"""Reading one big JSON lines table ahead, while the command is still importing pandas.

Why: on 2 cores, a 1M-row JSONL leaderboard spent 0.4 s importing (one core busy, the other
idle) and then 0.45 s in Arrow's JSON reader. Arrow's reader releases the GIL, so it can run
on the idle core during the imports; it needs nothing the imports bring, since a JSONL table is
read whole, every key a column, whatever roles the columns later get. The generic fast path
(:func:`rescore.adapters.generic.fast_text.count_generic_text`) takes the table with :func:`take`
instead of reading the file itself.

Only where the fast path will most likely want it: one local, uncompressed ``.jsonl``/``.ndjson``
file named on its own, large enough to gain (``MIN_BYTES``) and not so large that a wasted read
costs much memory (``MAX_BYTES``), whose first line is a flat JSON object (a generic table; an
lm-eval samples line nests its document), read in counts mode (or in auto mode when it has more
lines than :data:`rescore.read.options.ITEMS_AUTO_ROWS`), with options the fast path takes. A
read nobody takes is called off (:func:`discard`, also at exit): it fails at its next block.

This module imports neither pandas nor anything that does: it runs before they are imported.
"""

from __future__ import annotations

import atexit
import io
import json
import stat
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescore.read import split
from rescore.read.mapped import MappedFile
from rescore.read.options import ITEMS_AUTO_ROWS, LoadOptions

#: bytes per block of Arrow's JSON reader: a line must fit in one (a longer line: the general path)
JSON_BLOCK_BYTES = 16 << 20
#: smaller files gain less from reading ahead than starting a thread costs
MIN_BYTES = 16 << 20
#: a larger file's speculative table would hold too much memory while nobody has asked for it
MAX_BYTES = 1 << 30
#: the first line must end within this many bytes to be judged
_FIRST_LINE_BYTES = 1 << 20


class Stoppable(io.RawIOBase):
    """A binary file whose reads fail once ``stop`` is set: how an Arrow read is called off
    (Arrow pulls each block through ``read``; the failure ends the read)."""

    def __init__(self, source: Any, stop: threading.Event) -> None:
        super().__init__()
        self._source = source
        self._stop = stop

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._stop.is_set():
            raise OSError("read called off")
        return self._source.readinto(buffer)


def read_json_table(source: Any) -> Any:
    """A JSON lines source as an Arrow table, as the generic fast path reads one."""
    import pyarrow.json as pajson

    return pajson.read_json(source, read_options=pajson.ReadOptions(block_size=JSON_BLOCK_BYTES))


@dataclass
class _Ahead:
    """A read under way: the file as it was when the read started, and the read's future."""

    identity: tuple[int, int, int]
    stop: threading.Event = field(default_factory=threading.Event)
    future: Future = field(default_factory=Future)
    thread: threading.Thread | None = None


_AHEAD: dict[Path, _Ahead] = {}  # reads nobody has taken yet
_THREADS: list[threading.Thread] = []  # every read started, for discard() to wait for (not their tables)
_LOCK = threading.Lock()


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _flat_first_line(path: Path) -> bool:
    """Whether the file's first line is one JSON object of plain values (a generic table's row)."""
    try:
        with path.open("rb") as handle:
            first = handle.read(_FIRST_LINE_BYTES).split(b"\n", 1)
    except OSError:
        return False
    if len(first) < 2:
        return False
    try:
        row = json.loads(first[0])
    except (ValueError, RecursionError):
        return False
    return isinstance(row, dict) and bool(row) and all(
        value is None or isinstance(value, (str, int, float, bool)) for value in row.values())


def worth_reading(paths: list[Any], options: LoadOptions) -> Path | None:
    """The one file to read ahead for ``paths`` read with ``options`` (module docstring), or None."""
    if len(paths) != 1 or options.need_items or not options.plain() or options.on_error == "skip" \
            or options.instructed_t is not None or options.engine != "local" or options.scheduler is not None \
            or options.cache is not None:
        return None
    path = Path(paths[0]) if isinstance(paths[0], (str, Path)) else None
    if path is None or path.suffix.lower() not in (".jsonl", ".ndjson"):
        return None
    try:
        found = path.stat()
    except (OSError, ValueError):
        return None
    # a regular file only, judged before opening it: a FIFO or device is read once, by the reader
    if not stat.S_ISREG(found.st_mode) or not MIN_BYTES <= found.st_size <= MAX_BYTES \
            or split.kind(path) != "jsonl" or not _flat_first_line(path):
        return None
    size = found.st_size
    if options.need_items is None and (split.sampled_lines(path, size) or 0) <= ITEMS_AUTO_ROWS:
        return None  # auto mode keeps item rows for this size: the counts fast path will not run
    return path


def start(paths: list[Any], options: LoadOptions) -> None:
    """Start reading the file :func:`worth_reading` picks, on a thread of its own."""
    path = worth_reading(paths, options)
    identity = None if path is None else _identity(path)
    if path is None or identity is None:
        return
    import pyarrow.json  # noqa: F401  (imported here, not inside the thread, while no other import runs)

    key = path.resolve()
    ahead = _Ahead(identity)

    def read() -> None:
        try:
            with MappedFile(path, ahead.stop) as source:
                table = read_json_table(source)
                ahead.future.set_result((table, source.lines))  # as the fast path's own read returns it
        except BaseException as exc:
            ahead.future.set_exception(exc)

    ahead.thread = threading.Thread(target=read, name="rescore-read-ahead", daemon=True)
    with _LOCK:
        if key in _AHEAD:
            return
        _AHEAD[key] = ahead
        _THREADS.append(ahead.thread)
    ahead.thread.start()


def take(path: Path) -> _Ahead | None:
    """The read ahead of ``path``: its ``future.result()`` is the table and the file's lines (or
    raises what the read raised); set its ``stop`` if the table is not wanted after all. None: no
    read ahead of it, or the file changed since it started. Taken once."""
    with _LOCK:
        ahead = _AHEAD.pop(path.resolve(), None) if _AHEAD else None
    if ahead is None:
        return None
    if _identity(path) != ahead.identity:
        ahead.stop.set()
        return None
    return ahead


def discard() -> None:
    """Call off every read nobody took and wait for every read to end (before worker processes
    fork, and at exit)."""
    with _LOCK:
        untaken = list(_AHEAD.values())
        _AHEAD.clear()
        threads = list(_THREADS)
        _THREADS.clear()
    for ahead in untaken:
        ahead.stop.set()
    for thread in threads:
        thread.join()


atexit.register(discard)
