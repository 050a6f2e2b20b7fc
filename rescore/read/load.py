"""Walk inputs, pick an adapter per file, and build the canonical item table.

This is the only place that knows about files as a whole: adapters read one file, the
classifier decides outcomes, and the result is a :class:`Dataset` of items (plus any
counts-only aggregates) with provenance for every file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.errors import InputError, UsageError
from rescore.read import counts as counting
from rescore.read import prefetch
from rescore.read.assemble import Dataset, assemble, plan
from rescore.read.cache import ResultCache, cache_folder, cached_results
from rescore.read.options import LoadOptions, matching, name_patterns
from rescore.read.plugins import all_adapters, broken_plugins

__all__ = ["Dataset", "load", "matching", "select"]


def load(paths: str | Path | Iterable[str | Path], options: LoadOptions | None = None, **kwargs: Any) -> Dataset:
    """Read files or folders into a :class:`Dataset` (the library's entry point).

    Files are read by ``options.jobs`` worker processes (see :mod:`rescore.read.workers`);
    ``options.progress`` shows a bar on stderr for long runs. Ctrl-C raises
    :class:`rescore.read.workers.Interrupted` saying how many files were done.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    options = options or LoadOptions.from_kwargs(**kwargs)
    from rescore.read.streams import copied_streams

    with copied_streams(paths) as streams:  # a FIFO or device is read once (rescore/read/streams.py)
        try:
            data = _load(streams.paths, options)
        except InputError as exc:
            raise streams.renamed(exc) from None
        finally:
            prefetch.discard()  # a read ahead the readers did not take (rescore/read/prefetch.py)
        if streams.original:
            _rename_sources(data, streams.name)
    return data


def _rename_sources(data: Dataset, name: Any) -> None:
    """Provenance names a stream as the user gave it, not its temporary copy."""
    for info in data.sources:
        info.path = name(info.path)
    data.skipped[:] = [(name(path), reason) for path, reason in data.skipped]
    data.notes[:] = [name(note) for note in data.notes]
    if len(data.items) and "source" in data.items:
        data.items["source"] = data.items["source"].map(lambda s: name(s) if isinstance(s, str) else s)


def _load(paths: list[str | Path], options: LoadOptions) -> Dataset:
    chosen, skipped = plan(paths, options)
    if not chosen:
        raise nothing_to_read(paths, skipped)
    auto_note = None
    if options.need_items is None:  # auto: keep item rows unless the input is large (rescore/counting.py)
        options, auto_note = counting.resolve_need_items(options, [path for path, _ in chosen])
    folder = cache_folder(options.cache)
    store = ResultCache.at(folder) if folder is not None else None

    def through_cache(read: Callable[[list[Any]], Iterator[Any]]) -> Iterator[Any]:
        """``read`` over the planned files, or over just those the cache does not hold (rescore/read/cache.py)."""
        return read(chosen) if store is None else cached_results(chosen, options, read, store)

    if options.engine != "local" or options.scheduler is not None:  # rescore/engines: e.g. a Dask cluster
        from rescore.read.engines import open_engine

        with open_engine(options) as engine:
            data = assemble(through_cache(lambda todo: engine.map_files(todo, options)), skipped, options,
                            compute_keys=getattr(engine, "compute_keys", None))
    else:
        from rescore.read.workers import map_files

        data = assemble(through_cache(lambda todo: map_files(todo, options, jobs=options.jobs,
                                                             progress=options.progress)), skipped, options)
    if data.has_items:
        from rescore.read.memory import release_arrow_memory

        release_arrow_memory()  # the item table's text columns just became categories
    if store is not None:
        data.notes.extend(store.notes)
    refuse_unused_flags(data, options)
    if options.models or options.benchmarks:
        data = select(data, models=options.models, benchmarks=options.benchmarks)
    if auto_note:
        data.notes.append(auto_note)
    data.notes.extend(f"adapter plugin {name!r} skipped: {why}" for name, why in broken_plugins().items())
    return data


def nothing_to_read(paths: Sequence[str | Path], skipped: list[tuple[str, str]]) -> InputError:
    """The error for an input in which no file is a result file, saying why the first was passed over:
    `rescore inspect x_summary.json` used to print nothing and exit 0, `leaderboard` said only "(1 skipped)"."""
    why = ""
    if skipped:
        path, reason = skipped[0]
        more = f"; and {len(skipped) - 1} more" if len(skipped) > 1 else ""
        named = "" if [str(p) for p in paths] == [path] else f"{path}: "  # the file the error already names
        why = f" ({len(skipped)} skipped: {named}{reason}{more})"
    return InputError("no result files to read" + why, path=", ".join(map(str, paths)))


# the producer flags, by LoadOptions field: each acts on the adapters whose ``honours`` names it
PRODUCER_FLAGS = {"scorer": "--scorer", "metric": "--metric", "score_key": "--score-key",
                  "pass_score": "--pass-score", "filter_name": "--filter", "pass_grade": "--pass-grade",
                  "model_from": "--model-from", "benchmark_from": "--benchmark-from", "epochs": "--epochs",
                  "denominator": "--denominator", "confidence_norm": "--confidence-norm",
                  "instructed_t": "--instructed-t", "reextract": "--no-reextract"}


def refuse_unused_flags(data: Dataset, options: LoadOptions) -> None:
    """A producer flag that no file read can act on is an error, not silently nothing (issue 16, point 10).

    ``--scorer acc_norm`` on a SimpleQA grader file or a plain table used to change nothing and
    say nothing. Checked per producer, not per file: in a folder mixing producers ``--metric``
    acts on the lm-eval files and the others are read as usual.
    """
    refuse_flags_unused_by({s.adapter for s in data.sources if s.adapter}, options)


def refuse_flags_unused_by(read: set[str], options: LoadOptions) -> None:
    """:func:`refuse_unused_flags` for the producers (adapter names) of the files read or planned:
    ``rescore inspect`` checks its plan with it, so that it refuses what ``leaderboard`` refuses."""
    import dataclasses

    if not read:
        return
    adapters = {a.name: a for a in all_adapters()}
    defaults = {f.name: f.default for f in dataclasses.fields(LoadOptions)}
    for name, flag in PRODUCER_FLAGS.items():
        value = getattr(options, name)
        if value is None or value == defaults[name]:  # not given
            continue
        acting = sorted(a for a in read if a not in adapters or getattr(adapters[a], "honours", None) is None
                        or name in adapters[a].honours)
        if not acting:
            takers = sorted(a.name for a in adapters.values() if name in (getattr(a, "honours", None) or ()))
            given = flag if isinstance(value, bool) else f"{flag} {value!r}"
            raise UsageError(f"{given} acts on {', '.join(takers)} files only, and none was read "
                             f"(read: {', '.join(sorted(read))})")


def select(data: Dataset, models: str | Sequence[str] | None = None,
           benchmarks: str | Sequence[str] | None = None) -> Dataset:
    """The dataset restricted to models and benchmarks matching the glob patterns (``--model``,
    ``--benchmark``). A pattern that matches nothing is an input error naming what was read:
    a typo should not silently give an empty board (and ``--model NAME`` used to *name* a file's
    model, which is now ``--model-name``)."""
    import dataclasses

    frames = {"items": data.items, "counts": data.counts, "item_counts": data.item_counts}
    notes = list(data.notes)
    for flag, column, patterns in (("--model", "model", name_patterns(models)),
                                   ("--benchmark", "benchmark", name_patterns(benchmarks))):
        if not patterns:
            continue
        present = sorted({str(v) for f in frames.values() if column in f.columns for v in f[column].dropna().unique()})
        for pattern in patterns:
            if not matching(present, [pattern]):
                shown = ", ".join(present[:10]) + (f", ... ({len(present)} in all)" if len(present) > 10 else "")
                hint = f"; to name the {column} of what is read, use {flag}-name"
                raise InputError(f"{flag} {pattern!r} matches no {column} read (read: {shown or 'none'}){hint}")
        keep = set(matching(present, patterns))
        frames = {name: _keep(f, column, keep) for name, f in frames.items()}
        notes.append(f"{flag} {' '.join(patterns)}: kept {len(keep)} of {len(present)} {column}s read")
    return dataclasses.replace(data, **frames, notes=notes)


def _keep(frame: pd.DataFrame, column: str, names: set[str]) -> pd.DataFrame:
    if frame.empty or column not in frame.columns:
        return frame
    mask = frame[column].astype("string").isin(names).fillna(False).to_numpy(dtype=bool)
    out = frame[mask].reset_index(drop=True)
    for col in out.columns:  # categories of the dropped names would reappear as empty groups
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].cat.remove_unused_categories()
    return out
