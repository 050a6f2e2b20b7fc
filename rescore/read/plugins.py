"""The adapter registry: producers are plugins found through the ``rescore.adapters`` entry points.

rescore's own adapters are registered in ``pyproject.toml`` exactly as a third-party package
registers its own, so adding a producer never means editing rescore. The read stage knows an
adapter only by this protocol (it never imports :mod:`rescore.adapters`): the registry loads each
entry point by name. A plugin that fails to import, or is not an adapter, is reported once by name
in :func:`broken_plugins` and skipped; a ``detect`` that raises counts as "not mine" for that file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rescore.errors import UsageError
from rescore.read.remote import RemoteError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rescore.read.options import LoadOptions
    from rescore.read.sources import FastCounts, SourceInfo

GROUP = "rescore.adapters"
_BUILT_IN_PACKAGE = "rescore.adapters"


@runtime_checkable
class AdapterPlugin(Protocol):
    """What the read stage calls on an adapter (``rescore.adapters.base.Adapter`` implements it all)."""

    name: str
    version: str
    priority: int
    description: str

    def detect(self, path: Path) -> bool: ...

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]: ...

    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None: ...

    def skip_reason(self, path: Path) -> str | None: ...

    def abstention_detector(self, options: LoadOptions) -> Any: ...

    def decide(self, batch: pd.DataFrame, detector: Any) -> pd.DataFrame: ...


_broken: dict[str, str] = {}


def _from_entry_points() -> list[tuple[str, Any]]:
    loaded: list[tuple[str, Any]] = []
    for point in entry_points(group=GROUP):
        try:
            loaded.append((point.name, point.load()))
        except Exception as exc:  # a broken plugin must not take the built-in producers down with it
            _broken[point.name] = f"{point.value}: {type(exc).__name__}: {exc}".splitlines()[0]
    return loaded


def _from_source_tree() -> list[tuple[str, Any]]:
    """The built-in adapters when rescore runs from a source tree that was never installed.

    Without an installed distribution there is no entry-point metadata; scanning the package keeps
    ``python -m rescore`` from a plain checkout working.
    """
    package = importlib.import_module(_BUILT_IN_PACKAGE)
    found = []
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_BUILT_IN_PACKAGE}.{module_info.name}")
        if hasattr(module, "ADAPTER"):
            found.append((module_info.name, module.ADAPTER))
    return found


@lru_cache(maxsize=1)
def all_adapters() -> tuple[AdapterPlugin, ...]:
    """Every usable adapter, by descending ``priority`` (the generic table loader is last)."""
    _broken.clear()
    loaded = _from_entry_points()
    if not any(name == "generic" for name, _ in loaded):
        loaded += [(n, a) for n, a in _from_source_tree() if n not in {m for m, _ in loaded}]
    found: dict[str, AdapterPlugin] = {}
    for point_name, adapter in loaded:
        if not isinstance(adapter, AdapterPlugin):
            _broken[point_name] = f"{type(adapter).__name__} is not an adapter (see 'Writing an adapter')"
            continue
        found.setdefault(adapter.name, adapter)
    return tuple(sorted(found.values(), key=lambda a: (-a.priority, a.name)))


def broken_plugins() -> dict[str, str]:
    """Entry points that could not be used, by name, with the reason (``rescore formats`` lists them)."""
    all_adapters()
    return dict(_broken)


def get_adapter(name: str) -> AdapterPlugin:
    for adapter in all_adapters():
        if adapter.name == name:
            return adapter
    known = ", ".join(a.name for a in all_adapters())
    raise UsageError(f"unknown format {name!r}; known formats: {known}")


def detect(path: Path) -> AdapterPlugin | None:
    """The first adapter (by priority) whose ``detect`` accepts ``path``.

    A ``detect`` that raises must never crash the walk: that adapter is "not mine" for this file,
    and the first such failure of each adapter is kept for :func:`broken_plugins`.
    """
    for adapter in all_adapters():
        try:
            if adapter.detect(path):
                return adapter
        except RemoteError:  # an unreachable remote file is an error, not "none of mine"
            raise
        except Exception as exc:
            _broken.setdefault(adapter.name, f"detect raised {type(exc).__name__}: {exc} (on {path})".splitlines()[0])
    return None
