"""Calibration of per-item confidences: ECE (equal-width and equal-mass bins), Brier, reliability.

All functions take ``conf`` (probabilities in [0, 1]) and ``correct`` (0/1) for *answered*
items: a confidence is the model's probability that its answer is right, so abstentions have
nothing to be calibrated against. Binning is the recurring argument about ECE
(huggingface/evaluate#96, #784), so both common choices are reported:

- **equal-width**: bin ``b`` holds confidences in [b/B, (b+1)/B); 1.0 goes to the last bin.
- **equal-mass**: items sorted by confidence are cut into B groups of (nearly) equal size;
  tied confidences always share a bin (the bin of their first member), so the result does not
  depend on the order of the input rows. Empty bins are skipped.

ECE = sum_b (n_b/n) |accuracy_b - mean confidence_b|; Brier = mean (conf - correct)^2;
over-confidence = mean confidence - accuracy (positive: the model claims more than it gets).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import UsageError
from rescore.score.item_scores import as_dataset, counts_only, omitted_frame, usable_groups, without_unscored
from rescore.score.results import StatsReport, base_provenance
from rescore.score.rule import Policy

BINNINGS = ("width", "mass")


def checked_confidences(conf: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of confidences in [0, 1] and 0/1 correctness, or a ValueError naming what is off."""
    conf = np.asarray(conf, dtype="float64")
    correct = np.asarray(correct, dtype="float64")
    if conf.shape != correct.shape or conf.ndim != 1:
        raise ValueError("conf and correct must be 1-d arrays of the same length")
    if conf.size and (not np.isfinite(conf).all() or conf.min() < 0 or conf.max() > 1):
        raise ValueError("confidences must be finite and lie in [0, 1]")
    return conf, correct


MAX_BINS = 10_000  # more bins than that hold one item each; the tables grow with the bins (issue 17)


def check_bins(bins: int) -> int:
    if int(bins) != bins or bins < 1 or bins > MAX_BINS:
        raise UsageError(f"--bins must be an integer from 1 to {MAX_BINS:,}, not {bins!r}")
    return int(bins)


def bin_index(conf: np.ndarray, bins: int, binning: str = "width") -> np.ndarray:
    """The bin of every item (0 .. bins-1) under equal-width or equal-mass binning."""
    conf = np.asarray(conf, dtype="float64")
    if binning == "width":
        # conf * bins rounds (0.57 * 100 = 56.99999...): correct the guess against the documented
        # edges b/B, computed as the same divisions the reliability table reports (issue 20)
        guess = np.clip(np.floor(conf * bins).astype("int64"), 0, bins - 1)
        guess = np.where((guess + 1 < bins) & (conf >= (guess + 1) / bins), guess + 1, guess)
        guess = np.where((guess > 0) & (conf < guess / bins), guess - 1, guess)
        return guess
    if binning == "mass":
        n = conf.size
        order = np.argsort(conf, kind="stable")
        sorted_conf = conf[order]
        # 0-based position of the first item with the same confidence: ties share a bin.
        first = np.searchsorted(sorted_conf, sorted_conf, side="left")
        idx = np.empty(n, dtype="int64")
        idx[order] = (first * bins) // max(n, 1)
        return idx
    raise UsageError(f"binning must be one of {', '.join(BINNINGS)}, not {binning!r}")


def reliability_table(conf: np.ndarray, correct: np.ndarray, bins: int = 10, binning: str = "width") -> pd.DataFrame:
    """One row per non-empty bin: ``bin``, ``lower``, ``upper`` (confidence range of its items for
    equal-mass; the bin's edges for equal-width), ``mean_confidence``, ``accuracy``, ``count``."""
    conf, correct = checked_confidences(conf, correct)
    bins = check_bins(bins)
    cols = ["bin", "lower", "upper", "mean_confidence", "accuracy", "count"]
    if conf.size == 0:
        return pd.DataFrame(columns=cols)
    idx = bin_index(conf, bins, binning)
    count = np.bincount(idx, minlength=bins)
    sum_conf = np.bincount(idx, weights=conf, minlength=bins)
    sum_correct = np.bincount(idx, weights=correct, minlength=bins)
    used = np.flatnonzero(count)
    if binning == "width":
        lower = used / bins
        upper = (used + 1) / bins
    else:
        frame = pd.DataFrame({"b": idx, "p": conf}).groupby("b")["p"].agg(["min", "max"])
        lower = frame.loc[used, "min"].to_numpy()
        upper = frame.loc[used, "max"].to_numpy()
    return pd.DataFrame({
        "bin": used.astype("int64"),
        "lower": lower.astype("float64"),
        "upper": upper.astype("float64"),
        "mean_confidence": sum_conf[used] / count[used],
        "accuracy": sum_correct[used] / count[used],
        "count": count[used].astype("int64"),
    })[cols]


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 10, binning: str = "width") -> float:
    """Expected calibration error: the count-weighted mean |accuracy - confidence| over bins."""
    return ece_of(reliability_table(conf, correct, bins, binning))


def ece_of(table: pd.DataFrame) -> float:
    """:func:`ece` from the reliability table it is computed on (one already made for a report)."""
    if table.empty:
        return float("nan")
    weights = table["count"].to_numpy() / table["count"].sum()
    return float(np.sum(weights * np.abs(table["accuracy"].to_numpy() - table["mean_confidence"].to_numpy())))


def brier(conf: np.ndarray, correct: np.ndarray) -> float:
    """Mean squared difference between confidence and the 0/1 outcome (0 is perfect)."""
    conf, correct = checked_confidences(conf, correct)
    return float(np.mean((conf - correct) ** 2)) if conf.size else float("nan")


def summary(conf: np.ndarray, correct: np.ndarray, bins: int = 10,
            tables: dict[str, pd.DataFrame] | None = None) -> dict[str, float]:
    """The calibration numbers reported per model; ``tables``: the reliability tables of both
    binnings when the caller made them already (a report shows them too: computed once, the
    equal-mass one sorts every confidence)."""
    conf, correct = checked_confidences(conf, correct)
    if tables is None:
        tables = {binning: reliability_table(conf, correct, bins, binning) for binning in BINNINGS}
    mean_conf = float(conf.mean()) if conf.size else float("nan")
    accuracy = float(correct.mean()) if conf.size else float("nan")
    return {
        "n": int(conf.size),
        "mean_confidence": mean_conf,
        "accuracy": accuracy,
        "overconfidence": mean_conf - accuracy,
        "ece_width": ece_of(tables["width"]),
        "ece_mass": ece_of(tables["mass"]),
        "brier": brier(conf, correct),
    }


SUMMARY_COLUMNS = ["benchmark", "model", "n", "n_total", "mean_confidence", "accuracy", "overconfidence",
                   "ece_width", "ece_mass", "brier"]
RELIABILITY_COLUMNS = ["benchmark", "model", "binning", "bin", "lower", "upper", "mean_confidence", "accuracy",
                       "count"]


def calibration_report(items: pd.DataFrame, policy: Policy | None = None, bins: int = 10) -> dict[str, Any]:
    """Per (benchmark, model): the summary, both reliability tables, and who was omitted and why.

    Returns ``{"summary": DataFrame, "reliability": DataFrame, "omitted": DataFrame, "notes": [...]}``.
    Accuracy here is on answered items, after the partial/invalid policy.
    """
    policy = policy or Policy()
    bins = check_bins(bins)
    rows: list[dict[str, Any]] = []
    tables: list[pd.DataFrame] = []
    omitted: list[tuple[str, str, str]] = []
    notes: list[str] = []
    for group in usable_groups(items, policy, omitted, notes):
        answered = group.answered
        conf = answered["confidence"].to_numpy(dtype="float64")
        correct = answered["c"].to_numpy(dtype="float64")
        made = {binning: reliability_table(conf, correct, bins, binning) for binning in BINNINGS}
        rows.append({"benchmark": group.benchmark, "model": group.model, "n_total": len(group.items),
                     **summary(conf, correct, bins, made)})
        for binning, table in made.items():  # (the summary has read them: labelled in place)
            table.insert(0, "binning", binning)
            table.insert(0, "model", group.model)
            table.insert(0, "benchmark", group.benchmark)
            tables.append(table)
    summary_frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    reliability = (pd.concat(tables, ignore_index=True) if tables
                   else pd.DataFrame(columns=RELIABILITY_COLUMNS))[RELIABILITY_COLUMNS]
    return {"summary": summary_frame, "reliability": reliability, "omitted": omitted_frame(omitted), "notes": notes}


def build_report(data: Any, *, bins: int = 10, partial: str = "wrong", invalid: str = "wrong",
                 idk_credit: float = 0.0, level: float = 0.95, **load_options: Any) -> StatsReport:
    """``rescore calibration``: per model ECE (both binnings), Brier, over/under-confidence, the
    reliability tables, the behavioural-calibration audit (runs told a target), and who was omitted."""
    from rescore.score.policies import behavioural_audit

    if not (0.5 <= level < 1.0):
        raise UsageError(f"confidence level must lie in [0.5, 1), not {level!r}")
    data, unscored = without_unscored(as_dataset(data, **load_options))
    policy = Policy(partial=partial, invalid=invalid, idk_credit=idk_credit)
    result = calibration_report(data.items, policy, bins)
    omitted = pd.concat([result["omitted"], omitted_frame(unscored + counts_only(data))], ignore_index=True)
    audit = behavioural_audit(data.items, policy, level)
    provenance = base_provenance(
        data, policy, bins=check_bins(bins),
        binning={"width": "bin b holds [b/B, (b+1)/B); 1.0 in the last bin",
                 "mass": "equal-count bins over sorted confidences; ties share a bin"},
        population="answered items (correct or wrong after the partial/invalid policy)",
        audit={"level": level, "bound": "one-sided Wilson on accuracy of answered items",
               "verdict": "clears: lower bound > t; below: upper bound < t; else inconclusive"},
    )
    return StatsReport("calibration", {"summary": result["summary"], "reliability": result["reliability"],
                                       "audit": audit, "omitted": omitted}, provenance, list(data.notes)
                       + result["notes"])
