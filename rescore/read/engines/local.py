"""The default engine: ``read_one`` for every planned file, on this machine.

It is the reference the other engines must reproduce exactly: results in plan order, errors
raised by the first failing file in plan order, partitions grouped from the assembled table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rescore.read.engines.base import FileTask, GroupTask
    from rescore.read.options import LoadOptions
    from rescore.read.per_file import FileResult
    from rescore.read.plugins import AdapterPlugin as Adapter


class LocalEngine:
    """Runs every file here: in this process or a local ``--jobs`` pool (:mod:`rescore.read.workers`), in plan order."""

    name = "local"

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_files(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                  task: FileTask | None = None) -> Iterator[FileResult]:
        from rescore.read.workers import map_files

        yield from map_files(chosen, options, jobs=options.jobs, progress=options.progress, task=task)

    def map_groups(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions, fn: GroupTask,
                   by: Sequence[str] = ("benchmark", "model"),
                   columns: Sequence[str] | None = None) -> dict[tuple[str, ...], Any]:
        """Assemble the whole item table here, then ``fn`` per ``by`` group (sorted by key)."""
        from rescore.read.assemble import assemble

        options = replace(options, need_items=True)  # partitions are item rows, whatever the caller's mode
        data = assemble(self.map_files(chosen, options), [], options)
        return apply_by(data.items, fn, by, columns)


def apply_by(items: Any, fn: GroupTask, by: Sequence[str], columns: Sequence[str] | None) -> dict[tuple[str, ...], Any]:
    """``{key: fn(key, rows)}`` over the ``by`` groups of ``items``, keys as string tuples, sorted.

    Shared by both engines so a partition looks the same wherever ``fn`` runs: the ``by``
    columns first, then ``columns`` (or every column), rows in their loading order.
    """
    by = list(by)
    keep = list(dict.fromkeys([*by, *(columns if columns is not None else items.columns)]))
    out: dict[tuple[str, ...], Any] = {}
    if items.empty:
        return out
    for key, part in items[keep].groupby(by, sort=True, observed=True, dropna=False):
        key_t = tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        out[key_t] = fn(key_t, part.reset_index(drop=True))
    return out
