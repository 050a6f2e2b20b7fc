"""Execution engines: who runs the per-file work (``read_one``) and where.

The loading pipeline is ``plan`` (client) -> ``read_one`` per file (an engine) -> ``assemble``
(client). An engine only decides *where* ``read_one`` runs; it never changes what it computes,
so every engine yields the same :class:`~rescore.read.per_file.FileResult` objects in plan order and
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

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescore.read.engines.base import (
    DASK_INSTALL_HINT,
    DEFAULT_SCHEDULER_TIMEOUT,
    ENGINES,
    Engine,
    EngineError,
    FileTask,
    GroupTask,
    check_engine_options,
    require_dask,
)

if TYPE_CHECKING:  # pragma: no cover
    from rescore.read.options import LoadOptions


def open_engine(options: LoadOptions) -> Engine:
    """The engine named by ``options.engine`` (not yet entered: use it in a ``with`` block)."""
    name = getattr(options, "engine", "local") or "local"
    scheduler = getattr(options, "scheduler", None)
    check_engine_options(name, scheduler)
    if name == "dask":
        from rescore.read.engines.dask import DaskEngine

        timeout = getattr(options, "scheduler_timeout", None) or DEFAULT_SCHEDULER_TIMEOUT
        return DaskEngine(scheduler=scheduler, timeout=float(timeout))
    from rescore.read.engines.local import LocalEngine

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
    from rescore.read.assemble import plan
    from rescore.read.options import LoadOptions as _LoadOptions

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
