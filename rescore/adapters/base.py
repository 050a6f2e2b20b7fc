"""What an adapter is: a cheap ``detect`` and a streaming ``read`` for one producer's files.

``read`` yields pandas batches with the canonical identity columns (``model``, ``benchmark``,
``subset``, ``item_id``, ``attempt``, ``run``) plus what the producer said: ``grade`` (a
canonical outcome or NA), ``grade_rule`` (why), and optionally ``prediction``, ``response``,
``gold``, ``confidence``, ``cluster``, ``choice_logliks``. :func:`rescore.outcomes.classify`
turns that into ``outcome``/``rule`` for all adapters alike.

A batch with an ``n_correct`` column is a counts-only table (aggregates without items).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..options import LoadOptions


@dataclass
class SourceInfo:
    """What was learnt about one input file; ends up in every output's provenance."""

    path: str
    adapter: str = ""
    adapter_version: str = ""
    items: int = 0
    models: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    producer_metrics: dict[str, Any] = field(default_factory=dict)
    per_item: bool = True
    skipped_records: int = 0
    companions: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def add_producer_metric(self, benchmark: str, model: str, label: str, accuracy: float | None,
                            n: int | None = None, note: str | None = None, **extra: Any) -> None:
        """Record the producer's own aggregate (t = 0 accuracy) for the cross-check in ``rescore inspect``.

        ``label`` names where it came from (``"lm-eval acc,none"``); ``note`` gives a known reason
        for a mismatch (e.g. MMLU-Pro's random fallback for unparsed answers).
        """
        self.producer_metrics.setdefault("aggregates", []).append(
            {"benchmark": benchmark, "model": model, "label": label, "accuracy": accuracy, "n": n, "note": note,
             **extra}
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "adapter": self.adapter,
            "adapter_version": self.adapter_version,
            "items": self.items,
            "models": self.models,
            "benchmarks": self.benchmarks,
            "per_item": self.per_item,
            "skipped_records": self.skipped_records,
            "companions": self.companions,
            "notes": self.notes,
        }


@dataclass
class FastCounts:
    """What a counts-mode fast path returns: reduced counts (``rescore.counting.COLUMNS``), rows read,
    and the sorted key hashes, or ``None`` when it checked duplicates inside the file without them
    (they are then computed only if another file shares a group: ``rescore.counting.DeferredKeys``)."""

    table: pd.DataFrame
    rows: int
    keys: Any = None


class Adapter:
    """Base class. Subclasses set ``name``/``version``/``priority`` and implement both methods.

    ``priority`` orders detection: specific producers (high) before the generic fallback (0).
    """

    name: str = "adapter"
    version: str = "1"
    priority: int = 50
    description: str = ""

    def detect(self, path: Path) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:  # pragma: no cover
        raise NotImplementedError

    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None:
        """Counts mode straight from columns, or ``None`` to use ``read`` + classify.

        An override must give exactly what the general path gives (counts, notes in ``info``,
        errors) or return ``None``; it is tried only in counts mode. ``info`` is fresh and is
        discarded when ``None`` is returned.
        """
        return None

    def skip_reason(self, path: Path) -> str | None:
        """Return why ``path`` is read as part of another file (e.g. lm-eval ``results_*.json``)."""
        return None


def head_bytes(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file: enough for content sniffing without reading it all."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def first_json_line(path: Path, max_bytes: int = 1 << 22) -> dict[str, Any] | None:
    """Parse the first line of a JSONL file (bounded), or ``None`` if it is not a JSON object."""
    try:
        with path.open("rb") as handle:
            line = handle.readline(max_bytes)
        obj = json.loads(line)
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None
