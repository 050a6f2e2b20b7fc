"""The Dask engine: ``read_one`` per file on a Dask cluster, merged here exactly like the local engine.

Why this shape: the expensive part of a leaderboard is parsing and classifying files, which
is independent per file; the merge (``assemble`` + scoring) is cheap once each file is reduced.
So each file is one task (``read_one`` on a worker, with the same options as locally) and the
client receives the per-file results *in plan order*: the output is byte-identical to the local
engine because the same functions compute it, only elsewhere.

Failure rules (README "Scale-out with Dask"):

- a worker that dies mid-run: the scheduler re-runs its tasks on another worker (Dask's
  ``allowed-failures``); a task that raises an unexpected exception is retried ``retries``
  times (a flaky network file system); a file that kills workers repeatedly is an error naming it.
- a data error (:class:`~rescore.errors.InputError`) is *not* retried (it is deterministic): the
  worker returns it as a value and the client raises the very same error, so the message and
  exit code (3) match the local engine.
- a scheduler that does not answer within ``timeout`` seconds, or has no workers, or whose
  workers cannot see the files: :class:`~rescore.read.engines.EngineError` (exit 3) in bounded time;
  a malformed address is a usage error (exit 2).

``import rescore`` never imports this module; :func:`rescore.read.engines.open_engine` does, and only
for ``engine="dask"``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import distributed

from rescore.errors import RescoreError, UsageError
from rescore.read.engines.base import DEFAULT_SCHEDULER_TIMEOUT, EngineError
from rescore.read.engines.local import apply_by

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rescore.read.engines.base import FileTask, GroupTask
    from rescore.read.options import LoadOptions
    from rescore.read.per_file import FileResult
    from rescore.read.plugins import AdapterPlugin as Adapter

DEFAULT_RETRIES = 2
# Identity and run columns every partition needs so runs can be separated and keys validated
# exactly as in ``assemble``, whatever subset of columns the feature asked for.
_PARTITION_NEEDS = ("model", "benchmark", "subset", "item_id", "attempt", "run", "outcome", "confidence", "source")


@dataclass
class _Failed:
    """A RescoreError raised on a worker, returned as a value so Dask does not retry it.

    Carries the class (importable on both sides) and the exception's state, so the client
    re-raises an equal exception: same message, same exit code, same ``path``/``line`` fields.
    """

    cls: type
    args: tuple[Any, ...]
    state: dict[str, Any]

    @classmethod
    def of(cls, exc: RescoreError) -> _Failed:
        return cls(type(exc), tuple(exc.args), dict(vars(exc)))

    def rebuild(self) -> RescoreError:
        exc = self.cls.__new__(self.cls)
        Exception.__init__(exc, *self.args)
        vars(exc).update(self.state)
        return exc


def _run_file(task: FileTask, path: str, adapter_name: str, options: LoadOptions) -> FileResult | _Failed:
    """The worker side of one file: ``task`` (``read_one``) with data errors turned into values."""
    try:
        return task(path, adapter_name, options)
    except RescoreError as exc:
        return _Failed.of(exc)
    except Exception as exc:
        # logged as a worker traceback on every attempt (issue 17); a worker that dies is KilledWorker
        from rescore.errors import InputError

        message = str(exc).splitlines()[0] if str(exc) else ""
        return _Failed.of(InputError(f"unexpected {type(exc).__name__} on a Dask worker: {message}", path=path))


def _hash_keys(deferred: Any) -> Any:
    """The worker side of a deferred key hash (:class:`rescore.read.per_file.DeferredKeys`)."""
    try:
        return deferred.compute()
    except RescoreError as exc:
        return _Failed.of(exc)


def _size(path: str) -> int:
    from rescore.read.remote import size

    return size(path)


def _worker_probe(paths: list[str]) -> dict[str, Any]:
    """Run on every worker before any work: can it import this rescore and see the files?"""
    from rescore.read.remote import clean_url, exists, is_url
    from rescore.version import __version__

    return {"version": __version__, "missing": [clean_url(p) if is_url(p) else p for p in paths if not exists(p)]}


def _partition_keys(result: FileResult | _Failed, part_by: tuple[str, ...]) -> Any:
    """The partition keys present in one file's items (small: travels to the client)."""
    if isinstance(result, _Failed):
        return result
    if result.error is not None or result.items.empty or not part_by:
        return [()] if (result.error is None and not result.items.empty) else []
    keys = result.items[list(part_by)].drop_duplicates()
    return sorted(tuple(str(v) for v in row) for row in keys.itertuples(index=False))


def _build_partition(key: tuple[str, ...], part_by: tuple[str, ...], columns: list[str] | None, latest: bool,
                     *results: FileResult) -> pd.DataFrame:
    """One (benchmark, model) partition, from the files holding it, exactly as ``assemble`` would.

    Runs of one model are separated (or filtered with ``--latest``) and the rows validated here:
    both only look within a (benchmark, model), so doing it per partition equals doing it whole.
    With ``columns``, only those (plus identity, outcome, confidence, source) leave the file's worker.
    """
    import pandas as pd

    from rescore.read import schema
    from rescore.read.assemble import separate_runs

    pieces = []
    for result in results:
        items = result.items
        mask = pd.Series(True, index=items.index)
        for col, value in zip(part_by, key, strict=True):
            mask &= (items[col].astype("string") == value).fillna(False)
        piece = items[mask.to_numpy(dtype=bool)]
        if columns is not None:
            piece = piece[[c for c in dict.fromkeys([*_PARTITION_NEEDS, *columns]) if c in piece.columns]]
        pieces.append(piece)
    table = pd.concat(pieces, ignore_index=True) if pieces else schema.empty_items()
    run_notes: list[str] = []
    table = separate_runs(table, latest, run_notes)
    absent = [c for c in schema.ITEM_COLUMNS if c not in table.columns]  # text columns not asked for
    schema.validate(table.assign(**{c: pd.NA for c in absent}) if absent else table)
    table.attrs["rescore_run_notes"] = run_notes  # what assemble would have noted, fetched by run_notes()
    return table


_FRAMES = ("items", "item_counts", "counts")


def _apart_skeleton(result: FileResult | _Failed) -> FileResult | _Failed:
    """A file's result reduced to its distinct (benchmark, subset) rows per table, for ``keep_apart``.

    ``keep_apart`` decides from every file at once which benchmark names to split (the same name
    from two producers, overlapping GPQA variants, two tasks of one producer); only these few rows
    travel to the client, where the very same function renames them (issue 16, point 10).
    """
    if isinstance(result, _Failed) or result.error is not None:
        return result
    from copy import deepcopy

    tables = {}
    for name in _FRAMES:
        frame = getattr(result, name)
        if frame is not None and not frame.empty and "benchmark" in frame:
            columns = [c for c in ("benchmark", "subset") if c in frame]
            frame = frame[columns].drop_duplicates().reset_index(drop=True)
        tables[name] = frame
    return replace(result, info=deepcopy(result.info), **tables)


def _renamed(result: FileResult | _Failed, renames: dict[str, pd.DataFrame], benchmarks: list[str]) -> Any:
    """``result`` with the benchmark (and subset) names ``keep_apart`` gave its skeleton."""
    if isinstance(result, _Failed) or result.error is not None:
        return result
    import pandas as pd

    tables = {}
    for name, table in renames.items():
        frame = getattr(result, name).copy()
        keys = [c for c in ("benchmark", "subset") if c in frame]
        old = pd.MultiIndex.from_frame(table[[f"old_{k}" for k in keys]].astype("string"), names=keys)
        row = pd.MultiIndex.from_frame(frame[keys].astype("string"))
        at = old.get_indexer(row)
        for key in keys:
            new = table[f"new_{key}"].astype("string").to_numpy()[at]
            frame[key] = pd.Series(new, index=frame.index).astype(frame[key].dtype)
        tables[name] = frame
    info = replace(result.info, benchmarks=benchmarks)
    return replace(result, info=info, **tables)


def _copy(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None else frame.copy()


def _name_pairs(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Old and new (benchmark, subset) names side by side, row for row (``old_benchmark``, ``new_benchmark``...)."""
    import pandas as pd

    keys = [c for c in ("benchmark", "subset") if c in old]
    return pd.concat([old[keys].add_prefix("old_").reset_index(drop=True),
                      new[keys].add_prefix("new_").reset_index(drop=True)], axis=1)


def _run_notes(table: pd.DataFrame) -> list[str]:
    return list(table.attrs.get("rescore_run_notes", []))


def _without_items(result: FileResult | _Failed) -> FileResult | _Failed:
    """A file's result minus its item rows: provenance, notes and counts-only tables for the client."""
    if isinstance(result, _Failed):
        return result
    from rescore.read import schema

    return replace(result, items=schema.empty_items())


def _apply_partition(fn: GroupTask, by: tuple[str, ...], columns: list[str] | None,
                     table: pd.DataFrame) -> dict[tuple[str, ...], Any]:
    """``fn`` per ``by`` group of one partition (finer than the partition once runs are labelled)."""
    return apply_by(table, fn, by, columns)


def local_cluster_kwargs(n_workers: int) -> dict[str, Any]:
    """A private LocalCluster: loopback only, no dashboard, quiet logs, one single-threaded process per worker.

    The scheduler's HTTP routes always listen somewhere; port 0 avoids the "8787 in use"
    warning when another cluster (or a second rescore) already runs on this machine.
    """
    return {"n_workers": n_workers, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
            "dashboard_address": "127.0.0.1:0", "scheduler_kwargs": {"dashboard": False},
            "silence_logs": logging.ERROR}


class DaskEngine:
    """Map files over a Dask cluster; the client merges results in plan order.

    ``scheduler``: ``None`` starts a ``LocalCluster`` sized to this machine (one single-threaded
    worker process per core: parsing holds the GIL); an address (``tcp://host:8786``) connects
    to a running scheduler; a ``distributed.Client`` is used as is and left open.
    """

    name = "dask"

    def __init__(self, scheduler: Any = None, timeout: float = DEFAULT_SCHEDULER_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, n_workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.timeout = timeout
        self.retries = retries
        self.n_workers = n_workers
        self.client: distributed.Client | None = None
        self._cluster: distributed.LocalCluster | None = None
        self._owns_client = False
        self._probed: set[str] = set()
        self._partition_files: list[distributed.Future] = []
        self._apart_notes: list[str] = []  # keep_apart's notes for the last item_partitions call

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> DaskEngine:
        if isinstance(self.scheduler, distributed.Client):
            self.client = self.scheduler
            return self
        self._owns_client = True
        if self.scheduler is None:
            self._start_local_cluster()
        else:
            self._connect(str(self.scheduler))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owns_client and self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = None
        self._cluster = None
        self._partition_files = []  # let the cluster release the files' results

    def _start_local_cluster(self) -> None:
        n = self.n_workers or os.cpu_count() or 1
        self._cluster = distributed.LocalCluster(**local_cluster_kwargs(n))
        self.client = distributed.Client(self._cluster)

    def _connect(self, address: str) -> None:
        if "://" not in address and ":" not in address:
            raise UsageError(f"--scheduler must be an address like tcp://host:8786, not {address!r}")
        try:
            self.client = distributed.Client(address, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"no Dask scheduler answered at {address} within {self.timeout:g} s "
                              f"(is `dask scheduler` running there? raise --scheduler-timeout if it is slow): "
                              f"{exc}") from None
        except ValueError as exc:
            raise UsageError(f"--scheduler {address!r} is not a Dask scheduler address: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=self.timeout)
        except (OSError, TimeoutError):
            self.client.close()
            raise EngineError(f"the Dask scheduler at {address} has no workers (waited {self.timeout:g} s; "
                              "start some with `dask worker ADDRESS`)") from None

    def _probe(self, paths: list[str]) -> None:
        """Every worker must import rescore (same version) and see the input files at the same paths."""
        from rescore.version import __version__

        todo = [p for p in paths if p not in self._probed][:50]  # a sample is enough to catch a wrong mount
        assert self.client is not None
        try:
            answers = self.client.run(_worker_probe, todo)
        except Exception as exc:
            raise EngineError(f"the Dask workers cannot run rescore ({type(exc).__name__}: {exc}); "
                              "install the same rescore version on every worker") from None
        for worker, answer in sorted(answers.items()):
            if answer["version"] != __version__:
                raise EngineError(f"Dask worker {worker} runs rescore {answer['version']}, this client "
                                  f"{__version__}: install the same version everywhere")
            if answer["missing"]:
                raise EngineError(f"Dask worker {worker} cannot see {answer['missing'][0]}: every worker needs "
                                  "the input files at the same path (a shared file system; pass absolute paths)")
        self._probed.update(todo)

    # -- work ----------------------------------------------------------------------------------
    def _submit_files(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                      task: FileTask | None) -> list[distributed.Future]:
        from rescore.read.per_file import read_one

        assert self.client is not None, "use the engine in a `with` block"
        from rescore.read.remote import path_token

        paths = [path_token(p) for p, _ in chosen]  # a URL whole: the worker opens it (reads by range) itself
        self._probe(paths)
        # Workers read locally: never hand them our engine (or a Client object) to recurse into.
        worker_options = replace(options, engine="local", scheduler=None, jobs=1, progress=False)
        run = partial(_run_file, task or read_one)
        token = uuid.uuid4().hex[:8]
        # biggest files first (Dask runs earlier submissions first), so one large file does not start last
        sizes = [_size(p) for p in paths]
        order = sorted(range(len(paths)), key=lambda i: -sizes[i])
        submitted = self.client.map(
            run, [paths[i] for i in order], [chosen[i][1].name for i in order], options=worker_options,
            key=[f"rescore-read-{token}-{i}" for i in order], retries=self.retries, pure=False,
        )
        futures: list[distributed.Future] = [None] * len(paths)  # type: ignore[list-item]
        for i, future in zip(order, submitted, strict=True):
            futures[i] = future
        return futures  # in plan order

    def _result(self, future: distributed.Future, path: str, pending: list[distributed.Future]) -> Any:
        """A future's value; a data error or a worker that keeps dying becomes the local engine's error."""
        assert self.client is not None
        try:
            value = future.result()
        except distributed.KilledWorker:
            self.client.cancel(pending)
            raise EngineError(f"{path}: Dask workers died reading this file (out of memory?); "
                              "it was retried on other workers") from None
        except BaseException:
            self.client.cancel(pending)
            raise
        if isinstance(value, _Failed):
            self.client.cancel(pending)
            raise value.rebuild()
        return value

    def map_files(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                  task: FileTask | None = None) -> Iterator[FileResult]:
        """Yield each file's result in plan order, releasing it on the cluster once received.

        Every file is submitted at once, so workers stay busy while the client waits for the
        next file in order; the first failing file *in plan order* raises, as locally.
        """
        futures = self._submit_files(chosen, options, task)
        try:
            for i, ((path, _adapter), future) in enumerate(zip(chosen, futures, strict=True)):
                yield self._result(future, str(path), futures[i + 1:])
                future.release()
        finally:
            if self.client is not None:
                self.client.cancel(futures)

    def compute_keys(self, deferred: Sequence[Any]) -> list[Any]:
        """Deferred key hashes computed on the workers, which see the input files (the client may not).

        Needed only when two files share a (benchmark, model, run); see
        :func:`rescore.read.counts.check_cross_file_duplicates`.
        """
        assert self.client is not None, "use the engine in a `with` block"
        token = uuid.uuid4().hex[:8]
        futures = self.client.map(_hash_keys, list(deferred), key=[f"rescore-keys-{token}-{i}"
                                                                   for i in range(len(deferred))],
                                  retries=self.retries, pure=False)
        try:
            values = self.client.gather(futures)
        finally:
            self.client.cancel(futures)
        for value in values:
            if isinstance(value, _Failed):
                raise value.rebuild()
        return values

    def item_partitions(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                        part_by: Sequence[str] = ("benchmark", "model"),
                        columns: Sequence[str] | None = None) -> dict[tuple[str, ...], distributed.Future]:
        """Per-item rows as pandas partitions *on the workers*, one future per ``part_by`` key.

        Only the partition keys present in each file travel to the client; the rows move
        worker to worker, once, into their partition. ``part_by`` must be a subset of
        (benchmark, model) so runs can be separated inside a partition.
        """
        part_by = tuple(part_by)
        if not set(part_by) <= {"benchmark", "model"}:
            raise UsageError(f"item partitions are keyed by benchmark and/or model, not {part_by!r}")
        assert self.client is not None, "use the engine in a `with` block"
        files = self._submit_files(chosen, replace(options, need_items=True), None)  # partitions are item rows
        files = self._kept_apart(chosen, files)
        self._partition_files = files
        metas = self.client.map(_partition_keys, files, part_by=part_by, pure=False)
        holders: dict[tuple[str, ...], list[distributed.Future]] = {}
        for i, ((path, _adapter), meta) in enumerate(zip(chosen, metas, strict=True)):
            for key in self._result(meta, str(path), files[i + 1:]):
                holders.setdefault(tuple(key), []).append(files[i])
        cols = list(columns) if columns is not None else None
        return {
            key: self.client.submit(_build_partition, key, part_by, cols, options.latest, *holders[key],
                                    pure=False, retries=self.retries)
            for key in sorted(holders)
        }

    def _kept_apart(self, chosen: Sequence[tuple[Path, Adapter]],
                    files: list[distributed.Future]) -> list[distributed.Future]:
        """The files' results with ``keep_apart``'s renames applied on the workers, as ``assemble`` does locally.

        The rename is decided on the client from each file's distinct (benchmark, subset) rows;
        a file it does not touch keeps its future (the usual case: nothing is renamed at all).
        """
        from rescore.read.assemble import keep_apart

        assert self.client is not None
        skeletons = self.client.map(_apart_skeleton, files, pure=False)
        before = [self._result(f, str(path), skeletons[i + 1:]) for i, ((path, _a), f) in
                  enumerate(zip(chosen, skeletons, strict=True))]
        self.client.cancel(skeletons)
        originals = [None if r.error is not None else {n: _copy(getattr(r, n)) for n in _FRAMES} for r in before]
        self._apart_notes = []
        after = keep_apart(before, self._apart_notes)
        out = list(files)
        for i, (result, original) in enumerate(zip(after, originals, strict=True)):
            if original is None:
                continue
            renames = {}
            for name in _FRAMES:
                old, new = original[name], getattr(result, name)
                if old is None or old.empty or "benchmark" not in old or old.equals(new):
                    continue
                renames[name] = _name_pairs(old, new)
            if renames:
                out[i] = self.client.submit(_renamed, files[i], renames, list(result.info.benchmarks), pure=False,
                                            retries=self.retries)
        return out

    def partition_dataset(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                          skipped: list[tuple[str, str]], parts: dict[tuple[str, ...], distributed.Future]) -> Any:
        """The :class:`~rescore.read.assemble.Dataset` the last ``item_partitions`` call read, minus its item rows.

        Sources, file notes, skipped files and counts-only tables come from the files' results;
        the run notes (``separate_runs``) from the partitions, in key order, as ``assemble`` orders them.
        """
        from rescore.read.assemble import assemble

        assert self.client is not None, "use the engine in a `with` block"
        files = self._partition_files
        slim = self.client.map(_without_items, files, pure=False)
        results = (self._result(f, str(path), slim[i + 1:]) for i, ((path, _a), f) in enumerate(zip(chosen, slim,
                                                                                                   strict=True)))
        data = assemble(results, skipped, replace(options, need_items=True))
        # keep_apart's notes were said when the partitions were renamed (the slim results alone
        # no longer show a split, their names being renamed already)
        data.notes[:0] = [n for n in self._apart_notes if n not in data.notes]
        for notes in self.client.gather([self.client.submit(_run_notes, p, pure=False) for p in parts.values()]):
            data.notes.extend(notes)
        return data

    def map_groups(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions, fn: GroupTask,
                   by: Sequence[str] = ("benchmark", "model"),
                   columns: Sequence[str] | None = None) -> dict[tuple[str, ...], Any]:
        """``fn(key, rows)`` per ``by`` group, run on the worker holding the rows; results sorted by key."""
        assert self.client is not None, "use the engine in a `with` block"
        by = tuple(by)
        part_by = tuple(c for c in ("benchmark", "model") if c in by)
        parts = self.item_partitions(chosen, options, part_by, columns)
        cols = list(columns) if columns is not None else None
        applied = [self.client.submit(_apply_partition, fn, by, cols, part, pure=False) for part in parts.values()]
        out: dict[tuple[str, ...], Any] = {}
        try:
            for result in self.client.gather(applied):
                out.update(result)
        except RescoreError:
            raise
        finally:
            self.client.cancel(applied + list(parts.values()))
        return dict(sorted(out.items()))
