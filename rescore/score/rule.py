"""Confidence-target scoring as pure functions of outcome counts.

At target ``t`` a correct answer earns 1, a wrong one costs ``k = t/(1-t)``, an abstention
earns ``idk_credit`` (default 0). Because the score is linear in the counts, every threshold
follows from the same (correct, wrong, abstain, n) numbers: adding thresholds costs nothing
beyond arithmetic. All functions accept scalars or numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rescore.errors import UsageError

PARTIAL_CHOICES = ("wrong", "correct", "abstain")
INVALID_CHOICES = ("wrong", "abstain", "drop")
FORMULA = "S(t) = (n_correct - n_wrong * t/(1-t) + idk_credit * n_abstain) / n"


def check_threshold(t: float) -> float:
    """A confidence target must lie in [0, 1): t = 1 would make a wrong answer infinitely costly."""
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise UsageError(f"threshold {t!r} is not a number") from None
    if not (0.0 <= value < 1.0) or value != value:
        raise UsageError(f"threshold {t!r} outside [0, 1): a confidence target t must satisfy 0 <= t < 1")
    return value


def check_thresholds(ts: Iterable[float]) -> list[float]:
    """Validated, de-duplicated, sorted thresholds."""
    values = sorted({check_threshold(t) for t in ts})
    if not values:
        raise UsageError("no thresholds given")
    return values


def penalty(t: float | np.ndarray) -> float | np.ndarray:
    """The cost of a wrong answer at target t: t/(1-t) (0.5 -> 1, 0.75 -> 3, 0.9 -> 9)."""
    return t / (1.0 - t)


@dataclass(frozen=True)
class Policy:
    """How the two ambiguous outcomes score, and the credit for "I don't know"."""

    partial: str = "wrong"
    invalid: str = "wrong"
    idk_credit: float = 0.0

    def __post_init__(self) -> None:
        if self.partial not in PARTIAL_CHOICES:
            raise UsageError(f"--partial must be one of {', '.join(PARTIAL_CHOICES)}, not {self.partial!r}")
        if self.invalid not in INVALID_CHOICES:
            raise UsageError(f"--invalid must be one of {', '.join(INVALID_CHOICES)}, not {self.invalid!r}")
        if not (0.0 <= float(self.idk_credit) <= 1.0):
            raise UsageError(f"--idk-credit must lie in [0, 1], not {self.idk_credit!r}")

    def describe(self) -> dict[str, object]:
        return {"partial": self.partial, "invalid": self.invalid, "idk_credit": float(self.idk_credit)}


def apply_policy(counts: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Add scored counts ``C``, ``W``, ``A``, ``n`` (and ``dropped``) from the five raw counts."""
    out = counts.copy()
    c = out["n_correct"].astype("int64").copy()
    w = out["n_wrong"].astype("int64").copy()
    a = out["n_abstain"].astype("int64").copy()
    partial = out["n_partial"].astype("int64")
    invalid = out["n_invalid"].astype("int64")
    if policy.partial == "wrong":
        w = w + partial
    elif policy.partial == "correct":
        c = c + partial
    else:
        a = a + partial
    dropped = pd.Series(0, index=out.index, dtype="int64")
    if policy.invalid == "wrong":
        w = w + invalid
    elif policy.invalid == "abstain":
        a = a + invalid
    else:
        dropped = invalid.copy()
    out["C"], out["W"], out["A"], out["dropped"] = c, w, a, dropped
    out["n"] = c + w + a
    return out


def score(c: np.ndarray | float, w: np.ndarray | float, a: np.ndarray | float, n: np.ndarray | float,
          t: float | np.ndarray, idk_credit: float = 0.0) -> np.ndarray | float:
    """S(t) from counts; NaN where n == 0."""
    k = penalty(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.asarray(c) - np.asarray(w) * k + idk_credit * np.asarray(a)) / np.asarray(n, dtype="float64")


def break_even(c: np.ndarray | float, w: np.ndarray | float, a: np.ndarray | float,
               idk_credit: float = 0.0) -> np.ndarray:
    """The target below which S(t) > 0: (C + credit*A) / (C + credit*A + W); 1 when W = 0.

    With idk_credit = 0 this is SimpleQA's "accuracy given attempted".
    """
    gain = np.asarray(c, dtype="float64") + idk_credit * np.asarray(a, dtype="float64")
    w = np.asarray(w, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = gain / (gain + w)
    return np.where(w == 0, np.where(gain > 0, 1.0, np.nan), value)


def summary_metrics(c: np.ndarray, w: np.ndarray, a: np.ndarray, n: np.ndarray,
                    idk_credit: float = 0.0) -> dict[str, np.ndarray]:
    """Accuracy, error (hallucination) rate, abstention rate, accuracy on attempted, F, break-even."""
    c, w, a, n = (np.asarray(x, dtype="float64") for x in (c, w, a, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = c / n
        attempted = c / (c + w)
        f_score = np.where(accuracy + attempted > 0, 2 * accuracy * attempted / (accuracy + attempted), 0.0)
        f_score = np.where(np.isnan(attempted), np.nan, f_score)
        return {
            "accuracy": accuracy,
            "error_rate": w / n,
            "abstention_rate": a / n,
            "accuracy_on_attempted": attempted,
            "f_score": f_score,
            "break_even_t": break_even(c, w, a, idk_credit),
        }
