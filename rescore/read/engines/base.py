"""What an engine is, and the choices shared by every engine (names, errors, option checks).

Kept apart from :mod:`rescore.read.engines` (which picks an engine) so the engines can import it
without importing the package that imports them.
"""


from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rescore.errors import RescoreError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rescore.read.options import LoadOptions
    from rescore.read.per_file import FileResult
    from rescore.read.plugins import AdapterPlugin as Adapter

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
    """What every engine provides (see :mod:`rescore.read.engines.local` for the reference)."""

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
