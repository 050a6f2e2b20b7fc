"""Run the per-file reader over many files: in this process, or in a pool of worker processes.

Why processes: parsing JSON and classifying outcomes is pure-Python CPU work, so threads would
share one interpreter lock; each worker process runs :func:`rescore.read.per_file.read_one` on its
own file and returns a picklable :class:`~rescore.read.per_file.FileResult`. Results are yielded in
*plan order* (not completion order), so output never depends on which worker finished first.

Small inputs stay in-process: starting workers costs a few hundred milliseconds (importing
pandas in each), more than reading a handful of small files.

Ctrl-C: workers ignore SIGINT (only the parent decides), the parent cancels what has not
started, stops the workers, and raises :class:`Interrupted` saying how many files were done.
Nothing has been written at that point: outputs are written after loading, atomically.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rescore.read.remote import path_token

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from rescore.read.options import LoadOptions
    from rescore.read.per_file import FileResult
    from rescore.read.plugins import AdapterPlugin as Adapter
    from rescore.read.split import Piece

#: below this many input bytes in all, a pool costs more than it saves
SMALL_INPUT_BYTES = 16 * 1024 * 1024
#: progress is shown only for runs at least this large (files or bytes)
PROGRESS_MIN_FILES = 20
PROGRESS_MIN_BYTES = 64 * 1024 * 1024

FileTask = Callable[[str, str, "LoadOptions"], "FileResult"]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a batch; the message says how far it got (files done / total)."""

    def __init__(self, done: int, total: int) -> None:
        self.done = done
        self.total = total
        super().__init__(f"{done} of {total} files read")

    def __str__(self) -> str:
        return f"{self.done} of {self.total} files read"


def default_jobs() -> int:
    """Usable CPUs (respects affinity/cgroup pinning where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def _size(path: Path) -> int:
    from rescore.read.remote import size

    return size(path)


def _work_estimates(chosen: Sequence[tuple[Path, Adapter]], sizes: list[int]) -> list[int]:
    """Each file's reading work in bytes of text: its size, but a Parquet file's rows times a text
    row's size (its columns compress 10-100x: 8 MB on disk can hold a million rows, which read
    in-process would leave the other cores idle). The footers are opened only while the input
    still looks small by its bytes, the one case where the estimate changes the choice."""
    if sum(sizes) >= SMALL_INPUT_BYTES:
        return sizes
    from rescore.read.counts import TEXT_BYTES_PER_ITEM, estimate_items

    return [estimate_items([path]) * TEXT_BYTES_PER_ITEM if path.suffix.lower() in (".parquet", ".pq") else size
            for (path, _), size in zip(chosen, sizes, strict=True)]


def _wanted_jobs(jobs: int | None) -> int:
    """The processes asked for: ``-j N``, or one per core when ``jobs`` is unset or not positive."""
    return default_jobs() if jobs is None or jobs <= 0 else int(jobs)


def choose_jobs(sizes: Sequence[int], jobs: int | None) -> int:
    """How many processes to use for files of these sizes (1 = in-process)."""
    wanted = _wanted_jobs(jobs)
    if wanted <= 1 or len(sizes) < 2:
        return 1
    if jobs is None and sum(sizes) < SMALL_INPUT_BYTES:
        return 1
    return min(wanted, len(sizes))


def _init_worker() -> None:
    """Workers ignore Ctrl-C (the parent decides) and use one Arrow thread each: the pool already
    puts a process on every core, and more threads than cores only contend."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler (rescore/cli/signals.py) is not ours
    _die_with_parent()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].set_cpu_count(1)


def _die_with_parent() -> None:
    """Linux: the kernel sends this worker SIGTERM when the parent dies, even by SIGKILL, so no
    worker outlives rescore (issue 17). Elsewhere nothing: the parent's cleanup stops the pool."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):  # pragma: no cover - no libc to ask
        pass


def progress_wanted(quiet: bool = False) -> bool:
    """A bar only for people watching: stderr is a terminal, not ``-q``, no ``NO_COLOR``."""
    return not quiet and not os.environ.get("NO_COLOR") and sys.stderr.isatty()


class _Progress:
    """A rich progress bar on stderr (files and bytes), or nothing."""

    def __init__(self, enabled: bool, total_files: int, total_bytes: int) -> None:
        self.bar = None
        if not enabled or (total_files < PROGRESS_MIN_FILES and total_bytes < PROGRESS_MIN_BYTES):
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("reading {task.fields[done]}/{task.fields[files]} files"), BarColumn(),
                            DownloadColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("read", total=max(total_bytes, 1), done=0, files=total_files)
        self.done = 0
        self.bar.start()

    def advance(self, size: int) -> None:
        if self.bar is not None:
            self.done += 1
            self.bar.update(self.task, advance=size, done=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def map_files(chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions, *, jobs: int | None = None,
              progress: bool = False, task: FileTask | None = None) -> Iterator[FileResult]:
    """Yield ``task(path, adapter_name, options)`` for every planned file, in plan order.

    ``jobs``: ``None`` = one process per CPU (but in-process for small inputs), ``1`` =
    in-process, ``N`` = at most N worker processes. An error is raised for the first failing
    file in plan order, as in-process reading would (remaining work is cancelled).
    """
    from rescore.read.per_file import read_one

    if task is None:
        task = read_one
    sizes = [_size(path) for path, _ in chosen]
    estimates = _work_estimates(chosen, sizes)
    n_jobs = choose_jobs(estimates, jobs)
    splittable = _splittable(chosen, estimates, options, jobs) if task is read_one else []
    bar = _Progress(progress, len(chosen), sum(sizes))
    done = 0
    try:
        if any(splittable):  # one big file on several cores (rescore/read/split.py)
            ready = _columnar_first(chosen, splittable, options)
            yield from _pooled_pieces(chosen, sizes, _pieces(chosen, splittable, ready, options, jobs),
                                      options, bar, ready)
            return
        if n_jobs == 1:
            for (path, adapter), size in zip(chosen, sizes, strict=True):
                result = task(path_token(path), adapter.name, options)
                done += 1
                bar.advance(size)
                yield result
            return
        yield from _pooled(chosen, sizes, options, n_jobs, bar, task)
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(done, len(chosen)) from None
    finally:
        bar.close()


def _pooled(chosen: Sequence[tuple[Path, Adapter]], sizes: list[int], options: LoadOptions, n_jobs: int,
            bar: _Progress, task: FileTask) -> Iterator[FileResult]:
    """Submit every file, collect as they finish, release them in plan order."""
    futures: list[Future[FileResult]] = []
    finished: dict[int, FileResult | BaseException] = {}
    next_out = 0
    done = 0
    with _worker_pool(n_jobs) as pool:
        try:
            # biggest files first, so one large file does not start last and leave a worker idle
            order = sorted(range(len(chosen)), key=lambda i: -sizes[i])
            index_of: dict[Future[FileResult], int] = {}
            for i in order:
                path, adapter = chosen[i]
                future = pool.submit(task, path_token(path), adapter.name, options)
                index_of[future] = i
                futures.append(future)
            pending = set(futures)
            while pending:
                completed, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in completed:
                    i = index_of[future]
                    error = future.exception()
                    finished[i] = error if error is not None else future.result()
                    done += 1
                    bar.advance(sizes[i])
                while next_out in finished:
                    result = finished.pop(next_out)
                    if isinstance(result, BaseException):
                        raise result  # errors surface in plan order, as in-process (deterministic)
                    yield result
                    next_out += 1
        except KeyboardInterrupt:
            raise Interrupted(done, len(chosen)) from None


@contextmanager
def _worker_pool(max_workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool shut down cleanly when its work is done, and stopped at once (queued work
    cancelled, workers terminated: :func:`_stop`) on an error, Ctrl-C, or an iteration its
    consumer abandoned; the one lifecycle of every pooled read."""
    from rescore.read import prefetch

    prefetch.discard()  # no speculative read runs on in a thread while the workers fork
    pool = ProcessPoolExecutor(max_workers=max_workers, initializer=_init_worker)
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and stop the workers now (an error or Ctrl-C: results are not wanted).

    The pool's manager thread is joined too: left running, it closes its wake-up pipe while
    the interpreter's exit hook writes to that pipe, and Python 3.11 then prints "Exception
    ignored ... Bad file descriptor" after rescore's own one-line message.
    """
    import threading

    main = threading.current_thread() is threading.main_thread()
    saved = [(sig, signal.signal(sig, signal.SIG_IGN)) for sig in (signal.SIGINT, signal.SIGTERM)] if main else []
    try:  # a second Ctrl-C here would leave workers running and print a traceback: ignored until done
        processes = list((getattr(pool, "_processes", None) or {}).values())
        # shutdown() forgets the manager thread and both queues: taken first
        manager = getattr(pool, "_executor_manager_thread", None)
        queues = [getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None)]
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        # one short wait for all, then SIGKILL (the results are not wanted): a worker still starting has
        # the parent's SIGTERM handler until its initializer runs, and would unwind through Python first
        deadline = time.monotonic() + 0.25
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():  # still starting, or stuck in a C call that ignores SIGTERM
                process.kill()
                process.join(timeout=1)
        for queue in queues:
            cancel = getattr(queue, "cancel_join_thread", None)
            if cancel is not None:  # never wait at exit to flush a pipe no worker reads (a hang at exit)
                cancel()
        # a worker stopped while it sent a result leaves the manager thread reading the rest of that
        # message from the result pipe, whose write end this process holds too: no EOF ever came, and
        # the interpreter's exit joined that thread forever (a hang after Ctrl-C, 6 runs in 8 of
        # tests/test_hostile.py's). Every worker is gone now and this process never writes a result:
        # closing its end ends any such read.
        writer = getattr(queues[1], "_writer", None)
        if writer is not None:
            writer.close()
        if manager is not None:
            manager.join(timeout=1)
    finally:
        for sig, handler in saved:
            signal.signal(sig, handler)


# -- one big file on several cores (issue 18, point 2) --------------------------------------------------


def _splittable(chosen: Sequence[tuple[Path, Adapter]], estimates: list[int], options: LoadOptions,
                jobs: int | None) -> list[bool]:
    """Per planned file, whether its reading may be cut into pieces across the workers.

    Only in counts mode and when there are fewer files than workers: a big local generic table
    (CSV/TSV, JSONL, Parquet) may be cut, one piece per worker. Item mode reads a file whole:
    every piece's item rows would cross the pool's pipe, which measured slower than one reader
    (10M Parquet rows: 23 s whole, 28-35 s in two pieces). Producer formats, remote and
    compressed files and ``--on-error skip`` (whose skipped lines would shift row numbers) are
    read whole too. Deciding reads no more than a file's first bytes (its compression magic):
    the cut points themselves are found only for files the columnar path declines."""
    from rescore.read import remote, split

    wanted = _wanted_jobs(jobs)
    if wanted < 2 or len(chosen) >= wanted or options.on_error == "skip" or options.need_items is not False:
        return [False for _ in chosen]
    return [adapter.name == "generic" and estimate >= split.SPLIT_MIN_BYTES and not remote.is_remote(path)
            and split.kind(path) is not None
            for (path, adapter), estimate in zip(chosen, estimates, strict=True)]


def _pieces(chosen: Sequence[tuple[Path, Adapter]], splittable: list[bool], ready: dict[int, FileResult],
            options: LoadOptions, jobs: int | None) -> list[list[Piece]]:
    """Per planned file, the pieces its reading is cut into, or ``[]`` to read it whole (a file
    already counted here, ``ready``, or one :func:`rescore.read.split.plan` leaves whole). Planning
    a text file reads it through once to cut on line ends (60 ms for a 57 MB CSV), so it is done
    only for the files the columnar path declined."""
    from rescore.read import split

    wanted = _wanted_jobs(jobs)
    return [split.plan(path, wanted, options.batch_size) if cut and i not in ready else []
            for i, ((path, _adapter), cut) in enumerate(zip(chosen, splittable, strict=True))]


def _columnar_first(chosen: Sequence[tuple[Path, Adapter]], splittable: list[bool],
                    options: LoadOptions) -> dict[int, FileResult]:
    """The splittable files that the columnar counts path takes whole, here.

    ``pyarrow.csv`` / ``pyarrow.json`` / ``pyarrow.parquet`` use every core on one file: a 1M-row
    CSV counted whole took 0.8 s, in two pieces (one Arrow reader per worker, plus the pool)
    1.1-1.2 s; the 10M-row generic Parquet file 1.5 s whole with 2 cores (1.5-1.7 s held to one
    core), 3.1-3.5 s in two pieces, measured in the same minute (each piece hashes and sorts its
    keys for the join, where the whole file proves them distinct with a bitmap). Pieces stay
    for the files the columnar path declines (a quoted newline, a type that changes down the
    file), where the general reader gains from them (a 1M-line JSONL: 8.5 s whole, 5.2 s in two).
    """
    from rescore.read.per_file import read_columnar_counts

    ready: dict[int, FileResult] = {}
    for i, ((path, adapter), cut) in enumerate(zip(chosen, splittable, strict=True)):
        if cut:  # (every splittable table, rescore/read/split.py, has a columnar path)
            result = read_columnar_counts(path_token(path), adapter.name, options)
            if result is not None:
                ready[i] = result
    return ready


def read_piece(path: str, adapter_name: str, options: LoadOptions, piece: Piece) -> FileResult:
    """Read one piece of a file (picklable entry point for the pool); errors are the piece's own."""
    from rescore.read import split
    from rescore.read.per_file import read_one

    with split.reading(piece):
        return read_one(path, adapter_name, options)


def join_pieces(results: Sequence[FileResult]) -> FileResult | None:
    """One file's result from its pieces' results (in file order), as one reader gives it; None
    when they cannot be joined as such (a key repeated across pieces, keys left for later): then
    the file is read again whole, and that reader names any error."""
    import dataclasses

    import numpy as np
    import pandas as pd

    from rescore.read import counts as counting
    from rescore.read import schema
    from rescore.read.per_file import empty_counts

    keys = [r.item_keys for r in results]
    if all(k is None for k in keys):
        joined_keys = None
    elif all(isinstance(k, np.ndarray) for k in keys):
        joined_keys = np.sort(np.concatenate(keys), kind="stable")  # sorted runs: a merge, not a full sort
        if len(joined_keys) > 1 and bool(np.any(joined_keys[1:] == joined_keys[:-1])):
            return None  # each piece's keys are distinct: this key is in two pieces
    else:
        return None
    infos = [r.info for r in results]

    def ordered(lists: list[list[Any]]) -> list[Any]:
        return list(dict.fromkeys(v for values in lists for v in values))

    info = dataclasses.replace(
        infos[0], items=sum(i.items for i in infos), models=sorted(set(ordered([i.models for i in infos]))),
        benchmarks=sorted(set(ordered([i.benchmarks for i in infos]))), notes=ordered([i.notes for i in infos]),
        per_item=all(i.per_item for i in infos), skipped_records=sum(i.skipped_records for i in infos),
        companions=ordered([i.companions for i in infos]), runs=ordered([i.runs for i in infos]))
    counts = [r.counts for r in results if len(r.counts)]
    item_counts = [r.item_counts for r in results if r.item_counts is not None]
    return dataclasses.replace(
        results[0], info=info, items=schema.concat([r.items for r in results]),
        counts=pd.concat(counts, ignore_index=True) if counts else empty_counts(),
        item_counts=counting.merge(item_counts) if item_counts else None, item_keys=joined_keys)


def _pooled_pieces(chosen: Sequence[tuple[Path, Adapter]], sizes: list[int], pieces: list[list[Piece]],
                   options: LoadOptions, bar: _Progress, ready: dict[int, FileResult]) -> Iterator[FileResult]:
    """Read every file, or each of its pieces, in the pool; yield one result per file in plan
    order (``ready``: files already read here). A piece that fails or pieces that cannot be joined
    send the file to one reader here."""
    from rescore.read.per_file import read_one

    todo = [i for i in range(len(chosen)) if i not in ready]
    wanted = max([len(pieces[i]) or 1 for i in todo], default=1)
    tasks = sum(len(pieces[i]) or 1 for i in todo)
    done = 0
    with ExitStack() as stack:  # one task left is read here: a pool of one worker only adds its start-up
        pool = stack.enter_context(_worker_pool(min(wanted, tasks))) if tasks > 1 else None
        try:
            futures: list[list[Future[FileResult]]] = []
            for i, ((path, adapter), parts) in enumerate(zip(chosen, pieces, strict=True)):
                token = path_token(path)
                if pool is None or i in ready:
                    futures.append([])
                    continue
                futures.append([pool.submit(read_piece, token, adapter.name, options, piece) for piece in parts]
                               or [pool.submit(read_one, token, adapter.name, options)])
            for i, ((path, adapter), parts) in enumerate(zip(chosen, pieces, strict=True)):
                if i in ready:
                    result = ready[i]
                elif pool is None:
                    result = read_one(path_token(path), adapter.name, options)
                else:
                    wait(futures[i])
                    errors = [f.exception() for f in futures[i]]
                    if not parts:
                        if errors[0] is not None:
                            raise errors[0]
                        result = futures[i][0].result()
                    else:
                        joined = join_pieces([f.result() for f in futures[i]]) if not any(errors) else None
                        # a failed piece or a key in two pieces: one reader gives the answer (or names the error)
                        result = joined if joined is not None else read_one(path_token(path), adapter.name, options)
                done += 1
                bar.advance(sizes[i])
                yield result
        except KeyboardInterrupt:
            raise Interrupted(done, len(chosen)) from None
