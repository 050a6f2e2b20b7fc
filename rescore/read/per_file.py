"""Reading one file: the unit of work that workers and engines map over files.

An adapter reads the file in batches and decides each batch's outcomes; item mode keeps the rows,
counts mode keeps only per-item outcome counts and key hashes (bounded memory). Everything here is
picklable, so process pools and Dask workers return a :class:`FileResult` unchanged.
"""


from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from rescore.errors import InputError
from rescore.read import counts as counting
from rescore.read import framepack, remote, schema
from rescore.read.memory import tune_allocator
from rescore.read.options import LoadOptions
from rescore.read.plugins import AdapterPlugin as Adapter
from rescore.read.plugins import get_adapter
from rescore.read.sources import SourceInfo, phrase_abstention_note

COUNT_COLUMNS = ("n_correct", "n_wrong", "n_abstain", "n_partial", "n_invalid")


def empty_counts() -> pd.DataFrame:
    """An empty counts-only table (a copy of one built once: see ``schema.empty_items``)."""
    return _EMPTY_COUNTS.copy()


_EMPTY_COUNTS = pd.DataFrame({**{c: pd.Series(dtype="string") for c in ("benchmark", "model", "subset", "source")},
                              **{c: pd.Series(dtype="int64") for c in COUNT_COLUMNS}})


@dataclass
class FileResult:
    """Everything read from one file: the unit of work an engine maps over files.

    It is picklable, so process pools and Dask workers can return it unchanged.
    """

    info: SourceInfo
    items: pd.DataFrame
    counts: pd.DataFrame
    error: str | None = None
    # counts mode: reduced per-item outcome counts and the sorted 64-bit hashes of the item keys
    item_counts: pd.DataFrame | None = None
    item_keys: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # repetitive text columns travel as codes (rescore/framepack.py): a worker's items cross
        # the pool's pipe several times smaller
        return {**self.__dict__, "items": framepack.pack(self.items)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({**state, "items": framepack.unpack(state["items"])})


def _keep_aggregate(batch: pd.DataFrame, path: Path, info: SourceInfo, counts: list[pd.DataFrame]) -> bool:
    """Set aside a counts-only batch (an ``n_correct`` column) with its source; False for item batches."""
    if "n_correct" not in batch.columns:
        return False
    info.per_item = False
    counts.append(batch.assign(source=str(path)))
    return True


def _phrases_over_wrong(batch: pd.DataFrame, classified: pd.DataFrame) -> int:
    """Rows the producer graded wrong that the abstention phrases turned into abstentions."""
    if "grade" not in batch or "outcome" not in classified:
        return 0
    graded_wrong = (batch["grade"].astype("string") == "wrong").fillna(False).to_numpy(dtype=bool)
    return int((graded_wrong & (classified["outcome"].astype("string") == "abstain").fillna(False)
                .to_numpy(dtype=bool)).sum())


def _note_phrases_over_wrong(adapter: Adapter, info: SourceInfo, count: int) -> None:
    """Say how many (issue 16, point 11), unless the adapter says it its own way (WildBench: with the
    judge's scores, ``says_phrase_abstentions``)."""
    if count and not getattr(adapter, "says_phrase_abstentions", False):
        info.note(phrase_abstention_note(count))


def read_file(path: Path, adapter: Adapter, options: LoadOptions,
              detector: Any) -> tuple[list[pd.DataFrame], list[pd.DataFrame], SourceInfo]:
    """Read one file into classified canonical batches (items) and counts-only batches."""
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    items: list[pd.DataFrame] = []
    counts: list[pd.DataFrame] = []
    over_wrong = 0
    for batch in adapter.read(path, options, info):
        if _keep_aggregate(batch, path, info, counts):
            continue
        classified = adapter.decide(batch, detector)
        over_wrong += _phrases_over_wrong(batch, classified)
        if not options.keep_text:
            classified = classified.drop(columns=[c for c in ("response", "prediction", "gold") if c in classified])
        items.append(schema.conform(classified, source=str(path)))
    _note_phrases_over_wrong(adapter, info, over_wrong)
    info.items = int(sum(len(b) for b in items))
    frames = items + counts
    if frames:
        info.models = sorted({m for f in frames for m in f["model"].dropna().unique()})
        info.benchmarks = sorted({b for f in frames for b in f["benchmark"].dropna().unique()})
    return items, counts, info


def count_file(path: Path, adapter: Adapter, options: LoadOptions, detector: Any,
               item_clusters: bool = False) -> tuple[counting.FileCounter, list[pd.DataFrame], SourceInfo]:
    """Counts mode: read one file, classify each batch and keep only its counts (bounded memory)."""
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    counter = counting.FileCounter(str(path), item_clusters=item_clusters)
    counts: list[pd.DataFrame] = []
    models: set[str] = set()
    benchmarks: set[str] = set()
    over_wrong = 0
    for batch in adapter.read(path, options, info):
        if not _keep_aggregate(batch, path, info, counts):
            classified = adapter.decide(batch, detector)
            over_wrong += _phrases_over_wrong(batch, classified)
            counter.add(classified)
        models.update(batch["model"].dropna().unique())
        benchmarks.update(batch["benchmark"].dropna().unique())
    _note_phrases_over_wrong(adapter, info, over_wrong)
    info.items = counter.rows
    info.models, info.benchmarks = sorted(models), sorted(benchmarks)
    return counter, counts, info


def count_generally(path: Path, adapter: Adapter, options: LoadOptions,
                     detector: Any) -> tuple[counting.FileCounter, list[pd.DataFrame], SourceInfo]:
    try:
        return count_file(path, adapter, options, detector)
    except counting.RestartWithItemClusters:  # attempts repeat only after the first batch: read again
        return count_file(path, adapter, options, detector, item_clusters=True)


def general_key_hashes(path: Path, adapter_name: str, options: LoadOptions) -> Any:
    """The sorted key hashes of one file as the general reader computes them (see counting.DeferredKeys)."""
    adapter = get_adapter(adapter_name)
    with _no_cycle_collection():
        counter, _, _ = count_generally(path, adapter, options, adapter.abstention_detector(options))
    return counter.keys()


def _read_counts(path: Path, adapter: Adapter, options: LoadOptions, detector: Any,
                 columnar_only: bool = False) -> FileResult | None:
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    fast = adapter.count_fast(path, options, detector, info)  # a columnar path where it gives the same answer
    if fast is None and columnar_only:
        return None
    if fast is not None:
        info.items = fast.rows
        info.models = sorted(set(fast.table["model"]))
        info.benchmarks = sorted(set(fast.table["benchmark"]))
        keys = fast.keys if fast.keys is not None else DeferredKeys(remote.path_token(path), adapter.name, options)
        return FileResult(info=info, items=schema.empty_items(), counts=empty_counts(), item_counts=fast.table,
                          item_keys=keys)
    counter, counts, info = count_generally(path, adapter, options, detector)
    return FileResult(info=info, items=schema.empty_items(),
                      counts=pd.concat(counts, ignore_index=True) if counts else empty_counts(),
                      item_counts=counter.result(), item_keys=counter.keys())


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a file is parsed.

    Parsing allocates millions of small acyclic objects (dicts, strings); each allocation burst
    triggers a full-heap cycle scan that finds nothing. Pausing it is about 25% faster on large
    JSONL; reference counting still frees everything, and the previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def as_input_error(exc: BaseException, path: Path) -> InputError | None:
    """A failure of the file itself, raised below the adapters' own checks, as one line naming
    the file (issue 17): no permission, a corrupt Parquet page, a damaged zip (a truncated
    ``.eval``), compressed data that ends early. None for anything else (a bug stays a bug)."""
    import zipfile
    import zlib

    where = str(path)
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)) or (
            isinstance(exc, OSError) and "zip" in type(exc).__module__):
        return InputError(f"the zip archive is damaged or truncated ({exc})", path=where)
    if any(cls.__module__.startswith("pyarrow") for cls in type(exc).__mro__):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return InputError(f"not a readable Parquet/Arrow file: {first}", path=where)
    if isinstance(exc, PermissionError):
        return InputError("cannot read file (permission denied)", path=where)
    if isinstance(exc, OSError) and path.suffix.lower() in (".parquet", ".pq"):  # Arrow's decompression errors
        return InputError(f"Parquet data is corrupt ({exc.strerror or exc})", path=where)
    if isinstance(exc, OSError):
        return InputError(f"cannot read file ({exc.strerror or exc})", path=where)
    if isinstance(exc, UnicodeDecodeError):
        return InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=where)
    return None


def read_one(path: str | Path, adapter_name: str, options: LoadOptions) -> FileResult:
    """Read one file by adapter name (picklable entry point for process pools and Dask).

    With ``options.on_error == "skip"`` a data error is returned in ``error`` instead of raised.
    """
    return cast(FileResult, _read_one(path, adapter_name, options))  # (only columnar_only may decline: None)


def read_columnar_counts(path: str | Path, adapter_name: str, options: LoadOptions) -> FileResult | None:
    """Counts mode through the adapter's columnar path alone, or None when it declines the file.

    Arrow's CSV and JSON readers use every core themselves, so a big text table is counted
    whole in this process; only a file they decline is cut into pieces for the general
    reader's workers (rescore/read/workers.py).
    """
    return _read_one(path, adapter_name, replace(options, need_items=False), columnar_only=True)


def _read_one(path: str | Path, adapter_name: str, options: LoadOptions,
              columnar_only: bool = False) -> FileResult | None:
    path = remote.as_path(path)
    remote.configure(getattr(options, "timeout", None))
    adapter = get_adapter(adapter_name)
    detector = adapter.abstention_detector(options)
    tune_allocator()  # in every worker process too (rescore/memtune.py)
    try:
        try:
            with _no_cycle_collection():
                if not options.need_items:
                    return _read_counts_of(path, adapter, options, detector, columnar_only)
                fast = _read_items_fast(path, adapter, options, detector)
                if fast is not None:
                    return fast
                items, counts, info = _read_file_of(path, adapter, options, detector)
        except Exception as exc:
            named = as_input_error(exc, path)
            if named is None:
                raise
            raise named from None
    except InputError as exc:
        if options.on_error == "skip":
            return FileResult(SourceInfo(str(path), adapter=adapter.name), schema.empty_items(), empty_counts(),
                              error=exc.reason)
        raise
    return FileResult(
        info=info,
        items=schema.concat(items),
        counts=pd.concat(counts, ignore_index=True) if counts else empty_counts(),
    )


def _read_items_fast(path: Path, adapter: Adapter, options: LoadOptions, detector: Any) -> FileResult | None:
    """Item mode through the adapter's columnar path (``items_fast``, optional for a plugin), or
    None when it declines the file (then the general reader reads it). A local file only."""
    items_fast = getattr(adapter, "items_fast", None)
    if items_fast is None or remote.is_remote(path):
        return None
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    fast = items_fast(path, options, detector, info)
    if fast is None:
        return None
    info.items, info.models, info.benchmarks = len(fast.table), fast.models, fast.benchmarks
    return FileResult(info=info, items=fast.table, counts=empty_counts())


def _read_counts_of(path: Any, adapter: Adapter, options: LoadOptions, detector: Any,
                    columnar_only: bool = False) -> FileResult | None:
    """:func:`_read_counts`; a remote file's network failures retried, then one line (rescore.read.remote)."""
    if not remote.is_remote(path):
        return _read_counts(path, adapter, options, detector, columnar_only)
    return remote.retrying("read the file", str(path),
                           lambda: _read_counts(path, adapter, options, detector, columnar_only))


def _read_file_of(path: Any, adapter: Adapter, options: LoadOptions,
                  detector: Any) -> tuple[list[pd.DataFrame], list[pd.DataFrame], SourceInfo]:
    if not remote.is_remote(path):
        return read_file(path, adapter, options, detector)
    return remote.retrying("read the file", str(path), lambda: read_file(path, adapter, options, detector))


@dataclass(frozen=True)
class DeferredKeys:
    """A file's key hashes, computed only if the cross-file check needs them.

    The counts-mode fast paths check duplicates *inside* a file exactly and cheaply (item ids
    are unique), but hashing every key costs as much as the rest of their work. The hashes
    matter only when another file holds the same (benchmark, model, run), which is rare
    (a copied file, a rerun kept beside the first): then the general reader computes them.
    """

    path: str
    adapter: str
    options: Any

    def compute(self) -> np.ndarray:
        why = "cannot read the file here to compare its items with another file of the same (benchmark, model, run)"
        path = remote.as_path(self.path)
        if not path.is_file():  # e.g. a Dask client that cannot see the cluster's files
            raise InputError(f"{why}: not found", path=str(path))
        try:
            return general_key_hashes(path, self.adapter, self.options)
        except OSError as exc:
            raise InputError(f"{why}: {exc.strerror or exc}", path=str(path)) from None


