"""Walk inputs, pick an adapter per file, and build the canonical item table.

This is the only place that knows about files as a whole: adapters read one file, the
classifier decides outcomes, and the result is a :class:`Dataset` of items (plus any
counts-only aggregates) with provenance for every file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rescore.errors import InputError
from rescore.read import counts as counting
from rescore.read.assemble import Dataset, assemble, plan
from rescore.read.options import LoadOptions
from rescore.read.plugins import broken_plugins

__all__ = ["Dataset", "load"]


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
        raise InputError("no result files to read" + (f" ({len(skipped)} skipped)" if skipped else ""),
                         path=", ".join(map(str, paths)))
    auto_note = None
    if options.need_items is None:  # auto: keep item rows unless the input is large (rescore/counting.py)
        options, auto_note = counting.resolve_need_items(options, [path for path, _ in chosen])
    if options.engine != "local" or options.scheduler is not None:  # rescore/engines: e.g. a Dask cluster
        from rescore.read.engines import open_engine

        with open_engine(options) as engine:
            data = assemble(engine.map_files(chosen, options), skipped, options,
                            compute_keys=getattr(engine, "compute_keys", None))
    else:
        from rescore.read.workers import map_files

        data = assemble(map_files(chosen, options, jobs=options.jobs, progress=options.progress), skipped, options)
    if auto_note:
        data.notes.append(auto_note)
    data.notes.extend(f"adapter plugin {name!r} skipped: {why}" for name, why in broken_plugins().items())
    return data
