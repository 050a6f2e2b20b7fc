"""Standard errors and intervals for confidence-target scores (Miller 2024, "Adding Error Bars").

Per item the score takes one of three values (1, -k, idk_credit), so the CLT standard error
follows from the counts alone. Clustered standard errors need the counts per cluster, which
are still counts: sum over clusters of the squared residual totals, with the G/(G-1) factor
that makes singleton clusters reproduce the plain CLT error exactly.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from rescore.score.rule import penalty


def z_value(level: float = 0.95) -> float:
    return NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)


def clt_se(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray, idk_credit: float = 0.0) -> np.ndarray:
    """SE of the mean per-item score: sqrt(sample variance / n), variance with n - 1."""
    c, w, a = (np.asarray(x, dtype="float64") for x in (c, w, a))
    n = c + w + a
    k = penalty(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c - k * w + idk_credit * a) / n
        ss = c * (1.0 - mean) ** 2 + w * (-k - mean) ** 2 + a * (idk_credit - mean) ** 2
        var = ss / (n - 1.0)
        se = np.sqrt(var / n)
    return np.where(n > 1, se, np.nan)


def clustered_se(cluster_counts: pd.DataFrame, t: float, idk_credit: float = 0.0) -> float:
    """Clustered SE of one group's mean score from per-cluster counts ``C``, ``W``, ``A``.

    SE^2 = G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2 / n^2.
    """
    c = cluster_counts["C"].to_numpy(dtype="float64")
    w = cluster_counts["W"].to_numpy(dtype="float64")
    a = cluster_counts["A"].to_numpy(dtype="float64")
    n_g = c + w + a
    n = n_g.sum()
    g = int((n_g > 0).sum())
    if n <= 1 or g <= 1:
        return float("nan")
    k = penalty(t)
    mean = (c.sum() - k * w.sum() + idk_credit * a.sum()) / n
    residual = c - k * w + idk_credit * a - n_g * mean
    return float(np.sqrt(g / (g - 1.0) * np.sum(residual**2) / n**2))


def interval(mean: np.ndarray, se: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    z = z_value(level)
    mean = np.asarray(mean, dtype="float64")
    se = np.asarray(se, dtype="float64")
    return mean - z * se, mean + z * se
