"""Walk inputs, pick an adapter per file, and build the canonical item table.

This is the only place that knows about files as a whole: adapters read one file, the
classifier decides outcomes, and the result is a :class:`Dataset` of items (plus any
counts-only aggregates) with provenance for every file.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import counting, framepack, schema
from .abstention import AbstentionDetector
from .adapters import Adapter, SourceInfo, all_adapters, detect, get_adapter
from .errors import InputError
from .memtune import tune_allocator
from .options import LoadOptions
from .outcomes import classify

COUNT_COLUMNS = ("n_correct", "n_wrong", "n_abstain", "n_partial", "n_invalid")
_DOC_NAMES = ("readme", "provenance", "license", "licence", "changelog")


@dataclass
class Dataset:
    """Canonical items, counts-only aggregates, and what was read from where."""

    items: pd.DataFrame
    counts: pd.DataFrame = field(default_factory=lambda: empty_counts())
    sources: list[SourceInfo] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # counts mode (LoadOptions.need_items=False): per-item outcome counts instead of item rows
    item_counts: pd.DataFrame = field(default_factory=lambda: counting.empty_item_counts())

    @property
    def has_items(self) -> bool:
        return len(self.items) > 0


def empty_counts() -> pd.DataFrame:
    """An empty counts-only table (a copy of one built once: see ``schema.empty_items``)."""
    return _EMPTY_COUNTS.copy()


_EMPTY_COUNTS = pd.DataFrame({**{c: pd.Series(dtype="string") for c in ("benchmark", "model", "subset", "source")},
                              **{c: pd.Series(dtype="int64") for c in COUNT_COLUMNS}})


def _is_documentation(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in (".md", ".txt", ".rst", ".py", ".sh", ".log", ".html") or name.startswith(_DOC_NAMES)


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """Yield ``(file, from_directory_walk)`` in a stable order; missing paths are errors."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel_parts = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in rel_parts):
                    yield child, True
        elif path.exists():
            yield path, False
        else:
            raise InputError("file not found", path=str(path))


def plan(paths: Iterable[str | Path], options: LoadOptions) -> tuple[list[tuple[Path, Adapter]], list[tuple[str, str]]]:
    """Decide which adapter reads which file, and which files are skipped (with why)."""
    chosen: list[tuple[Path, Adapter]] = []
    skipped: list[tuple[str, str]] = []
    hinted = get_adapter(options.format_hint) if options.format_hint else None
    adapters = all_adapters()
    for path, walked in iter_files(paths):
        if walked and _is_documentation(path):
            skipped.append((str(path), "documentation or script, not results"))
            continue
        reason = next((r for a in adapters if (r := a.skip_reason(path))), None)
        if reason and hinted is None:
            skipped.append((str(path), reason))
            continue
        adapter = hinted or detect(path)
        if adapter is None:
            if options.skip_unknown:
                skipped.append((str(path), "no adapter recognises this file"))
                continue
            raise InputError(
                "no adapter recognises this file (use --format-hint NAME, or --skip-unknown to list it as skipped)",
                path=str(path),
            )
        chosen.append((path, adapter))
    return chosen, skipped


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


def read_file(path: Path, adapter: Adapter, options: LoadOptions,
              detector: AbstentionDetector) -> tuple[list[pd.DataFrame], list[pd.DataFrame], SourceInfo]:
    """Read one file into classified canonical batches (items) and counts-only batches."""
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    items: list[pd.DataFrame] = []
    counts: list[pd.DataFrame] = []
    for batch in adapter.read(path, options, info):
        if _keep_aggregate(batch, path, info, counts):
            continue
        classified = classify(batch, detector)
        if not options.keep_text:
            classified = classified.drop(columns=[c for c in ("response", "prediction", "gold") if c in classified])
        items.append(schema.conform(classified, source=str(path)))
    info.items = int(sum(len(b) for b in items))
    frames = items + counts
    if frames:
        info.models = sorted({m for f in frames for m in f["model"].dropna().unique()})
        info.benchmarks = sorted({b for f in frames for b in f["benchmark"].dropna().unique()})
    return items, counts, info


def count_file(path: Path, adapter: Adapter, options: LoadOptions, detector: AbstentionDetector,
               item_clusters: bool = False) -> tuple[counting.FileCounter, list[pd.DataFrame], SourceInfo]:
    """Counts mode: read one file, classify each batch and keep only its counts (bounded memory)."""
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    counter = counting.FileCounter(str(path), item_clusters=item_clusters)
    counts: list[pd.DataFrame] = []
    models: set[str] = set()
    benchmarks: set[str] = set()
    for batch in adapter.read(path, options, info):
        if not _keep_aggregate(batch, path, info, counts):
            counter.add(classify(batch, detector))
        models.update(batch["model"].dropna().unique())
        benchmarks.update(batch["benchmark"].dropna().unique())
    info.items = counter.rows
    info.models, info.benchmarks = sorted(models), sorted(benchmarks)
    return counter, counts, info


def _count_generally(path: Path, adapter: Adapter, options: LoadOptions,
                     detector: AbstentionDetector) -> tuple[counting.FileCounter, list[pd.DataFrame], SourceInfo]:
    try:
        return count_file(path, adapter, options, detector)
    except counting.RestartWithItemClusters:  # attempts repeat only after the first batch: read again
        return count_file(path, adapter, options, detector, item_clusters=True)


def general_key_hashes(path: Path, adapter_name: str, options: LoadOptions) -> Any:
    """The sorted key hashes of one file as the general reader computes them (see counting.DeferredKeys)."""
    detector = AbstentionDetector.shared(options.abstain_phrases)
    with _no_cycle_collection():
        counter, _, _ = _count_generally(path, get_adapter(adapter_name), options, detector)
    return counter.keys()


def _read_counts(path: Path, adapter: Adapter, options: LoadOptions, detector: AbstentionDetector) -> FileResult:
    info = SourceInfo(str(path), adapter=adapter.name, adapter_version=adapter.version)
    fast = adapter.count_fast(path, options, detector, info)  # a columnar path where it gives the same answer
    if fast is not None:
        info.items = fast.rows
        info.models = sorted(set(fast.table["model"]))
        info.benchmarks = sorted(set(fast.table["benchmark"]))
        keys = fast.keys if fast.keys is not None else counting.DeferredKeys(str(path), adapter.name, options)
        return FileResult(info=info, items=schema.empty_items(), counts=empty_counts(), item_counts=fast.table,
                          item_keys=keys)
    counter, counts, info = _count_generally(path, adapter, options, detector)
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


def read_one(path: str | Path, adapter_name: str, options: LoadOptions) -> FileResult:
    """Read one file by adapter name (picklable entry point for process pools and Dask).

    With ``options.on_error == "skip"`` a data error is returned in ``error`` instead of raised.
    """
    path = Path(path)
    adapter = get_adapter(adapter_name)
    detector = AbstentionDetector.shared(options.abstain_phrases)
    tune_allocator()  # in every worker process too (rescore/memtune.py)
    try:
        with _no_cycle_collection():
            if not options.need_items:
                return _read_counts(path, adapter, options, detector)
            items, counts, info = read_file(path, adapter, options, detector)
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


def separate_runs(items: pd.DataFrame, latest: bool, notes: list[str]) -> pd.DataFrame:
    """Keep distinct runs of one (model, benchmark) apart: label them, or keep only the latest."""
    if items.empty or items["run"].isna().all():
        return items
    runs = items.dropna(subset=["run"]).groupby(["benchmark", "model"])["run"].unique()
    multi = runs[runs.map(len) > 1]
    if multi.empty:
        return items
    items = items.copy()
    for (benchmark, model), run_ids in multi.items():
        ordered = sorted(map(str, run_ids))
        mask = (items["benchmark"] == benchmark) & (items["model"] == model)
        if latest:
            keep = ordered[-1]
            items = items[~mask | (items["run"] == keep)]
            notes.append(f"{model} on {benchmark}: {len(ordered)} runs found; kept the latest ({keep}) (--latest)")
        else:
            items.loc[mask, "model"] = items.loc[mask, "model"] + " [" + items.loc[mask, "run"] + "]"
            notes.append(f"{model} on {benchmark}: {len(ordered)} runs found ({', '.join(ordered)}); "
                         "shown separately (use --latest to keep only the newest)")
    return items.reset_index(drop=True)


def _merge_notes(per_note: dict[str, list[str]]) -> list[str]:
    """One line per distinct note, naming the file (or how many files) it applies to."""
    return [said_of_files(note, files) for note, files in per_note.items()]


def said_of_files(text: str, files: list[str]) -> str:
    """One line saying ``text`` of ``files``: "path: text", or "text (N files: first, ...)"."""
    return f"{files[0]}: {text}" if len(files) == 1 else f"{text} ({len(files)} files: {files[0]}, ...)"


def assemble(results: Iterable[FileResult], skipped: list[tuple[str, str]], options: LoadOptions,
             compute_keys: Any = None) -> Dataset:
    """Merge per-file results (in plan order) into one validated :class:`Dataset`.

    ``compute_keys``: where deferred key hashes are computed if files overlap (see
    :func:`rescore.counting.check_cross_file_duplicates`); by default, here.
    """
    items: list[pd.DataFrame] = []
    counts: list[pd.DataFrame] = []
    sources: list[SourceInfo] = []
    notes: list[str] = []
    per_note: dict[str, list[str]] = {}
    counted: list[FileResult] = []
    for result in results:
        if result.error is not None:
            skipped.append((result.info.path, f"error: {result.error}"))
            continue
        if result.item_counts is not None:
            counted.append(result)
        items.append(result.items)
        if not result.counts.empty:
            counts.append(result.counts)
        sources.append(result.info)
        for note in result.info.notes:
            per_note.setdefault(note, []).append(result.info.path)
    notes.extend(_merge_notes(per_note))
    table = schema.concat(items)
    table = separate_runs(table, options.latest, notes)
    table = _validated(table, sources, skipped, options)
    item_counts = counting.empty_item_counts()
    if counted:
        counting.check_cross_file_duplicates(counted, compute_keys)
        item_counts = counting.merge([r.item_counts for r in counted])
        item_counts = separate_runs(item_counts, options.latest, notes)
    count_table = pd.concat(counts, ignore_index=True) if counts else empty_counts()
    if not count_table.empty:
        if "subset" not in count_table:
            count_table["subset"] = ""
        count_table["subset"] = count_table["subset"].fillna("")
    return Dataset(items=table, counts=count_table, sources=sources, skipped=skipped, notes=notes,
                   item_counts=item_counts)


def _validated(table: pd.DataFrame, sources: list[SourceInfo], skipped: list[tuple[str, str]],
               options: LoadOptions) -> pd.DataFrame:
    """The item table, validated; a key repeated inside one file is reported as counts mode does.

    The table only knows item ids, not lines, so on that (rare) error the file is counted again
    by the general reader, whose per-file check names the line or record of the repeat. Checking
    every file that way while reading would cost a second hashing of every key (about 0.3 s per
    million items) to speed up an error. With ``--on-error skip`` the file is skipped instead, as
    in counts mode. A repeat across files keeps the table's message, which names both files, and
    so does a file that cannot be read again here (a Dask worker's path the client cannot see).
    """
    while True:
        try:
            return schema.validate(table)
        except InputError as exc:
            if exc.field != "item_id":
                raise
            source = _source_repeating_a_key(table)
            info = next((s for s in sources if s.path == source), None)
            if info is None or not info.adapter:
                raise
            try:
                general_key_hashes(Path(info.path), info.adapter, options)
            except InputError as precise:
                if precise.field != "item_id":  # not the repeat (the file is gone, or unreadable here)
                    raise exc from None
                if options.on_error != "skip":
                    raise precise from None
                skipped.append((info.path, f"error: {precise.reason}"))
                sources.remove(info)
                table = table[table["source"] != info.path].reset_index(drop=True)
                continue
            raise


def _source_repeating_a_key(table: pd.DataFrame) -> str | None:
    """A file in which some item key repeats (the error path only: two passes over the table)."""
    repeated = table.loc[table.duplicated(list(schema.KEY_COLUMNS), keep=False)]
    inside = repeated.duplicated([*schema.KEY_COLUMNS, "source"], keep=False)
    return str(repeated.loc[inside, "source"].iloc[0]) if inside.any() else None


def load(paths: str | Path | Iterable[str | Path], options: LoadOptions | None = None, **kwargs: Any) -> Dataset:
    """Read files or folders into a :class:`Dataset` (the library's entry point).

    Files are read by ``options.jobs`` worker processes (see :mod:`rescore.parallel`);
    ``options.progress`` shows a bar on stderr for long runs. Ctrl-C raises
    :class:`rescore.parallel.Interrupted` saying how many files were done.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    options = options or LoadOptions.from_kwargs(**kwargs)
    chosen, skipped = plan(paths, options)
    if not chosen:
        raise InputError("no result files to read" + (f" ({len(skipped)} skipped)" if skipped else ""),
                         path=", ".join(map(str, paths)))
    auto_note = None
    if options.need_items is None:  # auto: keep item rows unless the input is large (rescore/counting.py)
        options, auto_note = counting.resolve_need_items(options, [path for path, _ in chosen])
    if options.engine != "local" or options.scheduler is not None:  # rescore/engines: e.g. a Dask cluster
        from .engines import open_engine

        with open_engine(options) as engine:
            data = assemble(engine.map_files(chosen, options), skipped, options,
                            compute_keys=getattr(engine, "compute_keys", None))
    else:
        from .parallel import map_files

        data = assemble(map_files(chosen, options, jobs=options.jobs, progress=options.progress), skipped, options)
    if auto_note:
        data.notes.append(auto_note)
    return data
