"""Execution engines: who runs the per-file work (``read_one``) and where.

The loading pipeline is ``plan`` (client) -> ``read_one`` per file (an engine) -> ``assemble``
(client). An engine only decides *where* ``read_one`` runs; it never changes what it computes,
so every engine yields the same :class:`~rescore.loading.FileResult` objects in plan order and
the leaderboard is identical whichever engine produced it.

- ``local`` (default): in this process (or the local process pool of ``--jobs``). No extra
  dependency.
- ``dask``: on a Dask cluster (``--scheduler tcp://host:8786``) or a ``LocalCluster`` sized to
  this machine. Needs ``pip install "rescore[dask]"``; Dask is imported only when this engine is
  chosen, so ``import rescore`` never imports it.

Engines are context managers (the Dask one owns a client and perhaps a cluster)::

    with open_engine(options) as engine:
        dataset = assemble(engine.map_files(chosen, options), skipped, options)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import RescoreError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..adapters import Adapter
    from ..loading import FileResult
    from ..options import LoadOptions

ENGINES: tuple[str, ...] = ("local", "dask")
DASK_INSTALL_HINT = 'pip install "rescore[dask]"'
DEFAULT_SCHEDULER_TIMEOUT = 10.0

#: the per-file function an engine maps: (path, adapter name, options) -> FileResult
FileTask = Callable[[str, str, "LoadOptions"], "FileResult"]
#: a per-partition function for features that need item rows: (key, items) -> small result
GroupTask = Callable[[tuple[str, ...], "pd.DataFrame"], Any]


class EngineError(RescoreError):
    """The engine could not run (scheduler unreachable, workers unusable): exit 3, one line."""


class Engine(Protocol):
    """What every engine provides (see :mod:`rescore.engines.local` for the reference)."""

    name: str

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...

    def map_files(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions,
                  task: FileTask | None = None) -> Iterator[FileResult]:
        """Run ``task`` (default ``read_one``) for every planned file; yield results in plan order."""
        ...

    def map_groups(self, chosen: Sequence[tuple[Path, Adapter]], options: LoadOptions, fn: GroupTask,
                   by: Sequence[str] = ("benchmark", "model"),
                   columns: Sequence[str] | None = None) -> dict[tuple[str, ...], Any]:
        """Apply ``fn`` to each partition of the item table keyed by ``by``; return ``{key: fn(key, part)}``."""
        ...


def check_engine_options(engine: str, scheduler: Any) -> None:
    """Validate the engine choice before any work, so mistakes are usage errors (exit 2)."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if scheduler is not None and engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    if engine == "dask":
        require_dask()


def require_dask() -> None:
    """Fail with an actionable usage error when the optional Dask extra is missing."""
    try:
        importlib.import_module("dask")
        importlib.import_module("distributed")
    except ImportError as exc:
        raise UsageError(f"--engine dask needs the optional Dask extra: {DASK_INSTALL_HINT} "
                         f"({exc.name or 'dask'} is not installed)") from None


def open_engine(options: LoadOptions) -> Engine:
    """The engine named by ``options.engine`` (not yet entered: use it in a ``with`` block)."""
    name = getattr(options, "engine", "local") or "local"
    scheduler = getattr(options, "scheduler", None)
    check_engine_options(name, scheduler)
    if name == "dask":
        from .dask import DaskEngine

        timeout = getattr(options, "scheduler_timeout", None) or DEFAULT_SCHEDULER_TIMEOUT
        return DaskEngine(scheduler=scheduler, timeout=float(timeout))
    from .local import LocalEngine

    return LocalEngine()


def map_groups(paths: Any, fn: GroupTask, *, by: Sequence[str] = ("benchmark", "model"),
               columns: Sequence[str] | None = None, options: LoadOptions | None = None,
               **kwargs: Any) -> dict[tuple[str, ...], Any]:
    """Library entry point for features that need per-item rows: ``fn`` per item partition.

    ``fn(key, items)`` receives the items of one ``by`` key (runs already separated or
    filtered exactly as :func:`rescore.load` would, rows validated) and should return
    something small (a comparison, calibration bins): with ``engine="dask"`` it runs on the
    worker that holds the partition, and only its result travels to this process.
    """
    from ..loading import plan
    from ..options import LoadOptions as _LoadOptions

    if isinstance(paths, (str, Path)):
        paths = [paths]
    options = options or _LoadOptions.from_kwargs(**kwargs)
    chosen, _skipped = plan(list(paths), options)
    with open_engine(options) as engine:
        return engine.map_groups(chosen, options, fn, by=by, columns=columns)


__all__ = [
    "DASK_INSTALL_HINT",
    "ENGINES",
    "Engine",
    "EngineError",
    "FileTask",
    "GroupTask",
    "check_engine_options",
    "map_groups",
    "open_engine",
    "require_dask",
]
