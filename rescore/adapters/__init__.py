"""The adapter registry: every module in this package that defines ``ADAPTER`` is registered.

Adding a producer means adding one module; nothing else needs editing. Detection tries
adapters by descending ``priority`` (the generic table loader is last).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from ..errors import UsageError
from .base import Adapter, SourceInfo

__all__ = ["Adapter", "SourceInfo", "all_adapters", "detect", "get_adapter"]

_NOT_ADAPTERS = {"base"}


@lru_cache(maxsize=1)
def all_adapters() -> tuple[Adapter, ...]:
    found: list[Adapter] = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in _NOT_ADAPTERS or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if isinstance(adapter, Adapter):
            found.append(adapter)
    return tuple(sorted(found, key=lambda a: (-a.priority, a.name)))


def get_adapter(name: str) -> Adapter:
    for adapter in all_adapters():
        if adapter.name == name:
            return adapter
    known = ", ".join(a.name for a in all_adapters())
    raise UsageError(f"unknown format {name!r}; known formats: {known}")


def detect(path: Path) -> Adapter | None:
    """The first adapter (by priority) whose ``detect`` accepts ``path``."""
    for adapter in all_adapters():
        try:
            if adapter.detect(path):
                return adapter
        except Exception:  # a detector must never crash the walk; treat as "not mine"
            continue
    return None
