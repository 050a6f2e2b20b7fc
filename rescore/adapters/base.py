"""What an adapter is: a cheap ``detect`` and a streaming ``read`` for one producer's files.

``read`` yields pandas batches with the canonical identity columns (``model``, ``benchmark``,
``subset``, ``item_id``, ``attempt``, ``run``) plus what the producer said: ``grade`` (a
canonical outcome or NA), ``grade_rule`` (why), and optionally ``prediction``, ``response``,
``gold``, ``confidence``, ``cluster``, ``choice_logliks``. :func:`rescore.outcomes.decide.classify`
turns that into ``outcome``/``rule`` for all adapters alike.

A batch with an ``n_correct`` column is a counts-only table (aggregates without items).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.outcomes.abstention import AbstentionDetector
from rescore.outcomes.decide import classify
from rescore.read.options import LoadOptions
from rescore.read.sources import FastCounts, FastItems, SourceInfo

__all__ = ["Adapter", "FastCounts", "FastItems", "SourceInfo", "first_json_line", "head_bytes"]


class Adapter:
    """Base class. Subclasses set ``name``/``version``/``priority`` and implement both methods.

    ``priority`` orders detection: specific producers (high) before the generic fallback (0).
    """

    name: str = "adapter"
    version: str = "1"
    priority: int = 50
    description: str = ""
    # the producer flags (LoadOptions field names: scorer, metric, score_key, pass_score, filter_name,
    # ...: rescore.read.load.PRODUCER_FLAGS) this adapter acts on; None (a plugin that does not say)
    # counts as all, () as none. A flag that no file read acts on is refused rather than silently
    # ignored (issue 16, point 10)
    honours: tuple[str, ...] | None = None

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

    def items_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastItems | None:
        """Item mode straight from columns, or ``None`` to use ``read`` + classify.

        As :meth:`count_fast`: exactly the general path's item rows and notes, or ``None``; tried
        only in item mode. Optional for a plugin (the read stage asks for it by name): the key
        check is the item table's own (:func:`rescore.read.schema.validate`)."""
        return None

    #: skip_reason looks at the file alone (its name and head), so --cache may remember its answer
    #: (rescore/read/cache.py DetectionMemo); a subclass that overrides skip_reason says so again
    skip_reason_is_local = True

    def skip_reason(self, path: Path) -> str | None:
        """Return why ``path`` is read as part of another file (e.g. lm-eval ``results_*.json``)."""
        return None

    def abstention_detector(self, options: LoadOptions) -> AbstentionDetector:
        """The abstention detector for ``options``' phrase list, shared per process.

        The read stage asks the adapter for it (and for :meth:`decide`) instead of importing the
        outcome rules itself: reading stays below the stages that give rows their meaning.
        """
        return AbstentionDetector.shared(options.abstain_phrases)

    def decide(self, batch: pd.DataFrame, detector: AbstentionDetector) -> pd.DataFrame:
        """Add ``outcome``/``rule`` to one canonical batch: the same rules for every producer."""
        return classify(batch, detector)


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
