"""``rescore inspect``: what rescore makes of each file, before any leaderboard.

For every file: the detected producer (and adapter version), models, benchmarks and subsets,
item count, outcome counts with the rule that decided each, whether confidences are present,
a few example rows, and the producer's own aggregate beside rescore's t = 0 accuracy, with a
mismatch flagged (and the known reason, when the adapter recorded one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.errors import InputError
from rescore.read import schema
from rescore.read.assemble import plan
from rescore.read.load import nothing_to_read, refuse_flags_unused_by
from rescore.read.options import LoadOptions
from rescore.read.per_file import FileResult, empty_counts, read_one
from rescore.read.schema import OUTCOMES
from rescore.read.sources import SourceInfo

EXAMPLE_COLUMNS = ("model", "benchmark", "subset", "item_id", "attempt", "outcome", "rule", "confidence",
                   "prediction", "gold", "response")


@dataclass
class CrossCheck:
    benchmark: str
    model: str
    label: str
    producer_accuracy: float | None
    rescore_accuracy: float | None
    n_producer: int | None
    n_rescore: int
    match: bool | None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: _clean(v) for k, v in self.__dict__.items() if k != "extra"}
        out["extra"] = {k: _clean(v) for k, v in self.extra.items()}
        return out


@dataclass
class FileReport:
    path: str
    adapter: str
    adapter_version: str
    items: int
    per_item: bool
    models: list[str]
    benchmarks: list[str]
    subsets: list[str]
    outcomes: dict[str, int]
    rules: list[dict[str, Any]]
    confidence: dict[str, Any]
    examples: list[dict[str, Any]]
    cross_checks: list[CrossCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped_records: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "cross_checks"}
        out["cross_checks"] = [c.to_dict() for c in self.cross_checks]
        return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):
        return _clean(value.item())
    if value is pd.NA:
        return None
    return value


DEFAULT_TOLERANCE = 5e-4  # producers round to 3-4 decimals; an adapter may pass a coarser "tolerance"


def cross_checks(items: pd.DataFrame, aggregates: list[dict[str, Any]]) -> list[CrossCheck]:
    checks = []
    for agg in aggregates:
        sel = items[(items["benchmark"] == agg["benchmark"]) & (items["model"] == agg["model"])]
        if agg.get("subset"):  # a producer number for one subset compares with that subset only
            sel = sel[sel["subset"] == agg["subset"]]
        n = len(sel)
        ours = float((sel["outcome"] == "correct").mean()) if n else None
        theirs = agg.get("accuracy")
        match = None
        if ours is not None and theirs is not None:
            match = abs(ours - float(theirs)) <= float(agg.get("tolerance") or DEFAULT_TOLERANCE)
        known = {"benchmark", "model", "subset", "label", "accuracy", "n", "note", "tolerance"}
        extra = {k: v for k, v in agg.items() if k not in known and isinstance(v, (int, float, str, bool))}
        checks.append(CrossCheck(agg["benchmark"], agg["model"], agg.get("label", ""), theirs, ours, agg.get("n"), n,
                                 match, agg.get("note"), extra))
    return checks


def _confidence_summary(items: pd.DataFrame) -> dict[str, Any]:
    conf = items["confidence"] if "confidence" in items else pd.Series(dtype="float64")
    present = int(conf.notna().sum())
    if not present:
        return {"available": False, "count": 0}
    return {"available": True, "count": present, "min": _clean(float(conf.min())), "max": _clean(float(conf.max())),
            "mean": _clean(float(conf.mean()))}


def inspect_paths(paths: list[str | Path], options: LoadOptions | None = None, examples: int = 3) -> list[FileReport]:
    """Read each file on its own (no merging, no duplicate checks across files) and describe it."""
    return inspect_folder(paths, options, examples)[0]


def inspect_folder(paths: list[str | Path], options: LoadOptions | None = None, examples: int = 3,
                   keep_going: bool = False) -> tuple[list[FileReport], list[tuple[str, str]]]:
    """:func:`inspect_paths` and the files the walk passed over (with why).

    ``keep_going``: a file that cannot be read becomes a report with its ``error`` (the one line
    the reading gave), and the next file is read: on a folder of dumps the survey is the point.
    """
    options = options or LoadOptions()
    from rescore.read.streams import copied_streams

    with copied_streams(paths) as streams:  # a FIFO or device is read once (rescore/read/streams.py)
        try:
            reports, skipped = _inspect(streams.paths, options, examples, keep_going)
        except InputError as exc:
            raise streams.renamed(exc) from None
        for report in reports:
            report.path = streams.name(report.path)
        skipped = [(streams.name(path), reason) for path, reason in skipped]
    return reports, skipped


def _inspect(paths: list[str | Path], options: LoadOptions, examples: int,
             keep_going: bool) -> tuple[list[FileReport], list[tuple[str, str]]]:
    chosen, skipped = plan(paths, options)
    if not chosen:  # as leaderboard: an input with no result file is an error saying why (exit 3)
        raise nothing_to_read(paths, skipped)
    refuse_flags_unused_by({adapter.name for _, adapter in chosen}, options)  # as leaderboard does (issue 16)
    reports = []
    for path, adapter in chosen:
        try:
            result = read_one(path, adapter.name, options)
        except InputError as exc:
            if not keep_going:
                raise
            result = FileResult(SourceInfo(str(path), adapter=adapter.name), schema.empty_items(), empty_counts(),
                                error=str(exc))
        except OSError as exc:  # a file gone or unreadable between the walk and the read
            if not keep_going:
                raise
            result = FileResult(SourceInfo(str(path), adapter=adapter.name), schema.empty_items(), empty_counts(),
                                error=f"{path}: cannot read file ({exc.strerror or exc})")
        info = result.info
        items = result.items
        if result.error is not None:
            reports.append(FileReport(str(path), adapter.name, adapter.version, 0, True, [], [], [], {}, [], {}, [],
                                      error=result.error))
            continue
        if items.empty and not result.counts.empty:
            counts = result.counts
            outcomes = {o: int(counts[f"n_{o}"].sum()) if f"n_{o}" in counts else 0 for o in OUTCOMES}
            rules: list[dict[str, Any]] = []
        else:
            outcomes = {o: int((items["outcome"] == o).sum()) for o in OUTCOMES}
            rules = [
                {"outcome": str(o), "rule": str(r), "count": int(c)}
                for (o, r), c in items.groupby(["outcome", "rule"], dropna=False).size().items()
            ]
        sample = items.head(examples)[[c for c in EXAMPLE_COLUMNS if c in items.columns]]
        example_rows = [{k: _clean(v) if not isinstance(v, str) else v[:200] for k, v in row.items()}
                        for row in sample.to_dict("records")]
        reports.append(FileReport(
            path=str(path),
            adapter=adapter.name,
            adapter_version=adapter.version,
            items=len(items) if not items.empty else int(sum(outcomes.values())),
            per_item=info.per_item,
            models=info.models,
            benchmarks=info.benchmarks,
            subsets=sorted(s for s in items["subset"].dropna().unique() if s) if not items.empty else [],
            outcomes=outcomes,
            rules=rules,
            confidence=_confidence_summary(items),
            examples=example_rows,
            cross_checks=cross_checks(items, info.producer_metrics.get("aggregates", [])) if not items.empty else [],
            notes=list(info.notes),
            skipped_records=info.skipped_records,
        ))
    return reports, skipped


INSPECT_SCHEMA_VERSION = 1


def summary_row(report: FileReport) -> dict[str, Any]:
    """One line of the folder summary: the file, what read it, what it holds, and the cross-check."""
    checks = [c for c in report.cross_checks if c.match is not None]
    if report.error:
        verdict = "error"
    elif not report.cross_checks:
        verdict = "no producer number"
    elif not checks:
        verdict = "n/a"
    elif all(c.match for c in checks):
        verdict = "match" if len(checks) == 1 else f"match ({len(checks)} of {len(checks)})"
    else:
        wrong = [c for c in checks if not c.match]
        reasons = sorted({c.note for c in wrong if c.note})
        verdict = (f"mismatch ({len(wrong)} of {len(checks)})" if len(checks) > 1 else "mismatch") + (
            f": {'; '.join(reasons)}" if reasons else "")
    first = report.cross_checks[0] if report.cross_checks else None  # the file's first producer number
    return {
        "path": report.path,
        "producer": report.adapter,
        "models": list(report.models),
        "items": report.items,
        **{o: report.outcomes.get(o, 0) for o in OUTCOMES},
        "producer_accuracy": _clean(first.producer_accuracy) if first else None,
        "rescore_accuracy": _clean(first.rescore_accuracy) if first else None,
        "cross_checks": len(report.cross_checks),
        "verdict": verdict,
        "error": report.error,
    }


def inspect_document(reports: list[FileReport], skipped: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``rescore inspect -f json`` document: schema envelope, per-file reports, the summary."""
    from rescore.read.assemble import skipped_summary
    from rescore.version import __version__

    return {
        "schema": "rescore.inspect",
        "schema_version": INSPECT_SCHEMA_VERSION,
        "rescore_version": __version__,
        "files": [r.to_dict() for r in reports],
        "summary": [summary_row(r) for r in reports],
        "unreadable": [{"path": r.path, "error": r.error} for r in reports if r.error],
        "skipped": [{"path": p, "reason": r} for p, r in skipped],
        "skipped_kinds": skipped_summary(skipped),
    }
