"""Selective prediction from confidences: the risk-coverage curve, AURC, coverage at a chosen risk.

Answer only the items whose confidence is at least a cut-off; *coverage* is the share answered
and *risk* the error rate among them. Sweeping the cut-off from high to low traces the
risk-coverage curve (Geifman & El-Yaniv 2017); its mean height is AURC (lower is better).

The population is the model's *answered* items (its own abstentions have no answer to keep or
withhold); ``coverage_all`` re-expresses coverage as a share of all items so models that
abstained at different rates can be compared at matched coverage. Tied confidences cannot be
separated by any cut-off, so the curve has one point per distinct confidence, and AURC uses the
expected risk over random orders of tied items (order-independent): at position K + j inside a
tie group of m items with e errors, expected errors are E + j*e/m.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import UsageError
from rescore.score.calibration import checked_confidences
from rescore.score.item_scores import as_dataset, counts_only, omitted_frame, usable_groups, without_unscored
from rescore.score.results import StatsReport, base_provenance
from rescore.score.rule import Policy


def _tie_groups(conf: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct confidences (descending), group sizes, and errors per group."""
    values, inverse, sizes = np.unique(-conf, return_inverse=True, return_counts=True)
    errors = np.bincount(inverse, weights=1.0 - correct, minlength=values.size)
    return -values, sizes, errors


def risk_coverage(conf: np.ndarray, correct: np.ndarray) -> pd.DataFrame:
    """One row per distinct confidence, highest first: answering every item with confidence >=
    ``threshold`` gives ``n_answered``, ``coverage`` (share of the items) and ``risk`` (error rate)."""
    conf, correct = checked_confidences(conf, correct)
    if conf.size == 0:
        return pd.DataFrame(columns=["threshold", "n_answered", "coverage", "risk"])
    values, sizes, errors = _tie_groups(conf, correct)
    answered = np.cumsum(sizes)
    return pd.DataFrame({
        "threshold": values,
        "n_answered": answered.astype("int64"),
        "coverage": answered / conf.size,
        "risk": np.cumsum(errors) / answered,
    })


def risk_by_position(conf: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Expected risk among the k most confident answers, k = 1..n (ties by their expected errors)."""
    conf, correct = checked_confidences(conf, correct)
    if conf.size == 0:
        return np.empty(0)
    _, sizes, errors = _tie_groups(conf, correct)
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    errors_before = np.concatenate([[0.0], np.cumsum(errors)[:-1]])
    group = np.repeat(np.arange(sizes.size), sizes)
    k = np.arange(1, conf.size + 1, dtype="float64")
    j = k - before[group]
    return (errors_before[group] + j * errors[group] / sizes[group]) / k


def aurc(conf: np.ndarray, correct: np.ndarray) -> float:
    """Area under the risk-coverage curve: mean over k = 1..n of the (tie-expected) risk at coverage k/n."""
    risks = risk_by_position(conf, correct)
    return float(np.mean(risks)) if risks.size else float("nan")


COVERAGE_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def risk_at_coverage(conf: np.ndarray, correct: np.ndarray, coverages: tuple[float, ...] = COVERAGE_GRID
                     ) -> np.ndarray:
    """Risk when answering the ceil(c*n) most confident items, for each coverage c (NaN when n = 0)."""
    risks = risk_by_position(conf, correct)
    if not risks.size:
        return np.full(len(coverages), np.nan)
    k = np.clip(np.ceil(np.asarray(coverages) * risks.size - 1e-9).astype("int64"), 1, risks.size)
    return risks[k - 1]


def aurc_optimal(correct: np.ndarray) -> float:
    """The AURC of a perfect ranking (every correct answer first) at the same accuracy."""
    correct = np.asarray(correct, dtype="float64")
    n = correct.size
    if n == 0:
        return float("nan")
    k = np.arange(1, n + 1, dtype="float64")
    return float(np.mean(np.maximum(0.0, k - correct.sum()) / k))


def coverage_at_risk(conf: np.ndarray, correct: np.ndarray, max_risk: float) -> dict[str, float]:
    """The largest coverage a confidence cut-off reaches with risk <= ``max_risk``, and that cut-off.

    Coverage 0 (threshold NaN) when even the most confident tie group is too risky.
    """
    if not (0.0 <= max_risk <= 1.0):
        raise UsageError(f"--max-risk must lie in [0, 1], not {max_risk!r}")
    curve = risk_coverage(conf, correct)
    ok = curve[curve["risk"] <= max_risk + 1e-12]
    if ok.empty:
        return {"coverage": 0.0, "threshold": float("nan"), "risk": float("nan")}
    best = ok.iloc[int(np.argmax(ok["coverage"].to_numpy()))]
    return {"coverage": float(best["coverage"]), "threshold": float(best["threshold"]), "risk": float(best["risk"])}


SUMMARY_COLUMNS = ["benchmark", "model", "n", "n_total", "answered_share", "risk", "aurc", "aurc_optimal",
                   "excess_aurc", "max_risk", "coverage_at_risk", "coverage_all_at_risk", "threshold_at_risk"]
CURVE_COLUMNS = ["benchmark", "model", "threshold", "n_answered", "coverage", "coverage_all", "risk"]
GRID_COLUMNS = ["benchmark", "model", *(f"risk@{c:g}" for c in COVERAGE_GRID)]


def selective_report(items: pd.DataFrame, policy: Policy | None = None, max_risk: float | None = None
                     ) -> dict[str, Any]:
    """Per (benchmark, model): AURC (and the optimum and excess), full-coverage risk, coverage at
    ``max_risk``; the curve points; who was omitted and why; notes for stderr."""
    policy = policy or Policy()
    rows: list[dict[str, Any]] = []
    curves: list[pd.DataFrame] = []
    grid: list[dict[str, Any]] = []
    omitted: list[tuple[str, str, str]] = []
    notes: list[str] = []
    for group in usable_groups(items, policy, omitted, notes):
        answered = group.answered
        conf = answered["confidence"].to_numpy(dtype="float64")
        correct = answered["c"].to_numpy(dtype="float64")
        total = len(group.items)
        row: dict[str, Any] = {
            "benchmark": group.benchmark, "model": group.model, "n": int(conf.size), "n_total": total,
            "answered_share": conf.size / total, "risk": float(1.0 - correct.mean()),
            "aurc": aurc(conf, correct), "aurc_optimal": aurc_optimal(correct),
        }
        row["excess_aurc"] = row["aurc"] - row["aurc_optimal"]
        row["max_risk"] = float("nan") if max_risk is None else float(max_risk)
        if max_risk is not None:
            found = coverage_at_risk(conf, correct, max_risk)
            row["coverage_at_risk"] = found["coverage"]
            row["coverage_all_at_risk"] = found["coverage"] * conf.size / total
            row["threshold_at_risk"] = found["threshold"]
        rows.append(row)
        grid.append({"benchmark": group.benchmark, "model": group.model,
                     **{f"risk@{c:g}": r for c, r in zip(COVERAGE_GRID, risk_at_coverage(conf, correct),
                                                        strict=True)}})
        curve = risk_coverage(conf, correct)
        curve["coverage_all"] = curve["n_answered"] / total
        curve.insert(0, "model", group.model)
        curve.insert(0, "benchmark", group.benchmark)
        curves.append(curve)
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    curve_frame = (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS))
    grid_frame = pd.DataFrame(grid, columns=GRID_COLUMNS)
    return {"summary": summary, "grid": grid_frame, "curve": curve_frame[CURVE_COLUMNS],
            "omitted": omitted_frame(omitted), "notes": notes}


def build_report(data: Any, *, max_risk: float | None = None, partial: str = "wrong", invalid: str = "wrong",
                 idk_credit: float = 0.0, **load_options: Any) -> StatsReport:
    """``rescore selective``: AURC, risk at full coverage, coverage at ``max_risk``, the curves."""
    data, unscored = without_unscored(as_dataset(data, **load_options))
    policy = Policy(partial=partial, invalid=invalid, idk_credit=idk_credit)
    if max_risk is not None and not (0.0 <= max_risk <= 1.0):
        raise UsageError(f"--max-risk must lie in [0, 1], not {max_risk!r}")
    result = selective_report(data.items, policy, max_risk)
    omitted = pd.concat([result["omitted"], omitted_frame(unscored + counts_only(data))], ignore_index=True)
    provenance = base_provenance(
        data, policy, max_risk=max_risk,
        population="answered items; coverage = share of them answered at a cut-off, coverage_all = share of "
                   "all items",
        aurc="mean over k = 1..n of the risk among the k most confident answers; ties by their expected risk",
        grid="risk@c: the risk among the ceil(c*n) most confident answers",
    )
    return StatsReport("selective", {"summary": result["summary"], "grid": result["grid"], "curve": result["curve"],
                                     "omitted": omitted},
                       provenance, list(data.notes) + result["notes"])
