"""Per-item features on an engine: calibration, calibrated policy and paired comparisons.

These need item rows, not counts, but each looks only *within one benchmark* (calibration and
the calibrated policy within one (benchmark, model); comparisons pair the models of one
benchmark). So the item table is cut into per-benchmark partitions on the workers (only the
columns the feature reads travel, worker to worker), the feature's own report function runs on
each partition where it lives, and the client concatenates the small per-benchmark reports in
benchmark order: the same tables, rows and notes as the report function on the whole table.

The one global decision, ``cluster="auto"`` for comparisons (cluster column anywhere? attempts
repeating anywhere?), is resolved on the client from two flags per partition first, so every
partition uses the mode the whole table would have used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.read.engines import open_engine
from rescore.read.options import LoadOptions
from rescore.score.rule import Policy

#: what each feature reads besides benchmark and model (partitions carry nothing else)
FEATURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "calibration": ("outcome", "confidence"),
    "policy": ("outcome", "confidence"),
    "compare": ("subset", "item_id", "attempt", "outcome", "cluster"),
}


def _report(feature: str, params: dict[str, Any], rows: pd.DataFrame) -> dict[str, Any]:
    """The feature's own report function on one partition (runs on a worker for the Dask engine)."""
    if feature == "calibration":
        from rescore.score.calibration import calibration_report

        return calibration_report(rows, params["policy"], params["bins"])
    if feature == "policy":
        from rescore.score.policies import policy_report

        return policy_report(rows, params["thresholds"], params["policy"])
    if feature == "compare":
        from rescore.score.compare import compare_report

        kw = {k: v for k, v in params.items() if k not in ("policy", "thresholds")}
        if kw.get("cluster") == "column" and "cluster" not in rows.columns:
            rows = rows.assign(cluster=pd.Series(pd.NA, index=rows.index, dtype="string"))
        return compare_report(rows, params["thresholds"], params["policy"], **kw)
    raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURE_COLUMNS)}")


def _auto_flags(rows: pd.DataFrame) -> tuple[bool, list[int]]:
    """What ``cluster="auto"`` looks at: a non-empty cluster column, and the distinct attempts."""
    has_column = "cluster" in rows.columns and bool(rows["cluster"].notna().any())
    return has_column, sorted(int(a) for a in rows["attempt"].unique())


def resolve_auto(flags: Sequence[tuple[bool, list[int]]]) -> str:
    """The explicit cluster mode ``auto`` means for the whole table (rescore.score.leaderboard's rule)."""
    if any(has for has, _ in flags):
        return "column"
    attempts = {a for _, seen in flags for a in seen}
    return "item" if len(attempts) > 1 else "none"


def merge_reports(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate per-benchmark reports in order: frames row-wise, lists end to end, the rest from the first."""
    if not parts:
        return {}
    out: dict[str, Any] = {}
    for key, first in parts[0].items():
        values = [p[key] for p in parts]
        if isinstance(first, pd.DataFrame):
            non_empty = [v for v in values if len(v)]
            out[key] = pd.concat(non_empty, ignore_index=True) if non_empty else first
        elif isinstance(first, list):
            out[key] = [x for v in values for x in v]
        else:
            out[key] = first
    return out


def feature_report(paths: str | Path | Sequence[str | Path], feature: str, *, policy: Policy | None = None,
                   options: LoadOptions | None = None, return_dataset: bool = False, **params: Any) -> Any:
    """``calibration_report`` / ``policy_report`` / ``compare_report`` over ``paths`` on ``options.engine``.

    ``params`` are the report function's own (``bins``; ``thresholds``; ``thresholds``,
    ``cluster``, ``bootstrap``, ``seed``, ``correction``, ``level``). The local engine loads the
    whole item table and calls the function once (the reference); the Dask engine runs it per
    benchmark partition on the workers and merges, with the same result.

    ``return_dataset=True`` returns ``(report, dataset)``: the :class:`~rescore.read.assemble.Dataset`
    for provenance (sources, notes, skipped, counts-only tables); on Dask its ``items`` are empty,
    since the rows stayed on the workers.
    """
    from rescore.read.assemble import assemble, plan

    if feature not in FEATURE_COLUMNS:
        raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURE_COLUMNS)}")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    options = replace(options or LoadOptions(), need_items=True)
    params = {"policy": policy or Policy(), **params}
    chosen, skipped = plan(list(paths), options)
    with open_engine(options) as engine:
        if engine.name == "local":
            data = assemble(engine.map_files(chosen, options), skipped, options)
            report = _report(feature, params, data.items)
        else:
            report, data = _on_dask(engine, chosen, options, feature, params, skipped)
    return (report, data) if return_dataset else report


def _on_dask(engine: Any, chosen: Any, options: LoadOptions, feature: str, params: dict[str, Any],
             skipped: list[tuple[str, str]]) -> tuple[dict[str, Any], Any]:
    columns = ["model", *FEATURE_COLUMNS[feature]]
    parts = engine.item_partitions(chosen, options, ("benchmark",), columns)
    client = engine.client
    futures = list(parts.values())
    try:
        if feature == "compare" and params.get("cluster", "auto") == "auto":
            flags = client.gather([client.submit(_auto_flags, p, pure=False) for p in futures])
            params = {**params, "cluster": resolve_auto(flags)}
        reports = client.gather([client.submit(_report, feature, params, p, pure=False) for p in futures])
        data = engine.partition_dataset(chosen, options, skipped, parts)
    finally:
        client.cancel(futures)
    return merge_reports(reports), data
