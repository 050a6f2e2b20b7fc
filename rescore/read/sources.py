"""What was learnt about one input file (``SourceInfo``) and what a counts fast path returns.

Owned by the read stage because every stage after it carries these along: the provenance of each
output lists one ``SourceInfo`` per file. It imports nothing else of rescore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


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
    # the run ids this file holds (counts mode: finds a run's file once runs are shown apart)
    runs: list[str] = field(default_factory=list)
    # benchmark -> {subset named by the task: the producer's task family} (outcomes.names.benchmark_family):
    # two tasks of one producer that share a benchmark name are kept apart (issue 16, point 10)
    task_families: dict[str, dict[str, str]] = field(default_factory=dict)

    def task_family(self, benchmark: str, subset: str, task: str) -> None:
        """Record that ``benchmark``/``subset`` rows of this file came from ``task``'s family."""
        self.task_families.setdefault(benchmark, {})[subset] = task

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


def phrase_abstention_note(count: int) -> str:
    """The note for answers a producer graded wrong that the abstention phrases made abstentions.

    Such a scale (a 0/1 metric, pass/fail, a number) has no abstention category, so an "I don't
    know" can only be graded wrong there; rescore counts it as an abstention (issue 16, point 11)
    and says how many, and what the producer gave them. The general reader
    (``rescore.read.per_file``) and every fast path must say it alike.
    """
    return (f"{count} answer(s) the producer graded wrong say \"I don't know\" (or are empty): abstentions by "
            "the phrases, since its scale has no abstention category (--explain counts the rules)")


@dataclass
class FastCounts:
    """What a counts-mode fast path returns: reduced counts (``rescore.read.counts.COLUMNS``), rows read,
    and the sorted key hashes, or ``None`` when it checked duplicates inside the file without them
    (they are then computed only if another file shares a group: ``rescore.read.per_file.DeferredKeys``)."""

    table: pd.DataFrame
    rows: int
    keys: Any = None


@dataclass
class FastItems:
    """What an item-mode fast path returns: the file's canonical item rows (as
    :func:`rescore.read.schema.conform` makes them, in file order) and the models and benchmarks
    they name, sorted (the general reader lists them from its batches)."""

    table: pd.DataFrame
    models: list[str]
    benchmarks: list[str]
