"""Candidates for the independent-items interval (issue 20, point 3): exact coverage on the grid.

    python benchmarks/interval_candidates.py            # about 4 minutes on one core (Jeffreys most of it)
    python benchmarks/interval_candidates.py binomial   # the t = 0 table alone, seconds

Every candidate is scored as benchmarks/coverage.py scores ``score``: exact enumeration of every
(C, W, A) with probability above 1e-12, n in 20..1000, the five outcome mixes, t in 0..0.95; the
count of cells with n >= 30 within 95 +/- 1.5 % and the lowest cell anywhere. Candidates:

- ``score``: the generalised Wilson interval (rescore's default) and ``lr`` (likelihood ratio);
- ``blend-ends``: the mean of the score and LR intervals' ends;
- ``blend-stat``: the inversion of (Pearson + LR statistic) / 2;
- ``jeffreys``: Dirichlet(1/2, 1/2, 1/2) posterior of (p_C, p_W, p_A), the linear combination's
  quantiles from a Beta on [min value, max value] matched to its mean and variance (exact at t = 0,
  where S is one Dirichlet margin), with Jeffreys' end rule (an end at the support when every item
  has that end's value).

Nothing here is used by rescore; the numbers are in docs/intervals.md ("Candidates").
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage import FULL, MIXES, outcomes, true_score

import rescore.score.intervals as iv
from rescore.score.rule import penalty

_lgamma = np.vectorize(math.lgamma, otypes=[float])
Interval = Callable[[np.ndarray, np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]]


def _betacf(a: np.ndarray, b: np.ndarray, x: np.ndarray, iters: int = 400) -> np.ndarray:
    """Numerical Recipes' continued fraction of the incomplete beta, vectorised (modified Lentz)."""
    tiny = 1e-300

    def guard(v: np.ndarray) -> np.ndarray:
        return np.where(np.abs(v) < tiny, tiny, v)

    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 / guard(1.0 - qab * x / qap)
    h = d.copy()
    for m in range(1, iters):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d, c = 1.0 / guard(1.0 + aa * d), guard(1.0 + aa / c)
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d, c = 1.0 / guard(1.0 + aa * d), guard(1.0 + aa / c)
        step = d * c
        h = h * step
        if np.all(np.abs(step - 1.0) < 1e-15):
            break
    return h


def _betainc(a: np.ndarray, b: np.ndarray, x: np.ndarray, lbeta: np.ndarray) -> np.ndarray:
    x = np.clip(x, 1e-300, 1 - 1e-16)
    front = np.exp(a * np.log(x) + b * np.log1p(-x) - lbeta)
    direct = x < (a + 1) / (a + b + 2)
    cf = _betacf(np.where(direct, a, b), np.where(direct, b, a), np.where(direct, x, 1 - x))
    return np.where(direct, front * cf / a, 1 - front * cf / b)


def beta_ppf(q: float, a: np.ndarray, b: np.ndarray, steps: int = 48) -> np.ndarray:
    """Beta quantile by bisection (48 halvings: 4e-15)."""
    lbeta = _lgamma(a) + _lgamma(b) - _lgamma(a + b)
    lo, hi = np.zeros_like(a), np.ones_like(a)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        below = _betainc(a, b, mid, lbeta) < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def jeffreys(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float, level: float = 0.95
             ) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet(1/2) posterior interval of p . v by a mean/variance-matched Beta (see the module)."""
    k = float(penalty(t))
    v = np.array([1.0, -k, 0.0])
    alpha = np.stack([c, w, a], axis=-1) + 0.5
    a0 = alpha.sum(-1)
    mean = alpha @ v / a0
    var = (alpha @ (v * v) / a0 - mean**2) / (a0 + 1)
    lo_v, span = v.min(), v.max() - v.min()
    mu, s2 = (mean - lo_v) / span, var / span**2
    nu = mu * (1 - mu) / s2 - 1
    q = (1 - level) / 2
    low = lo_v + span * beta_ppf(q, mu * nu, (1 - mu) * nu)
    high = lo_v + span * beta_ppf(1 - q, mu * nu, (1 - mu) * nu)
    seen = np.stack([c, w, a], axis=-1) > 0
    top = np.where(seen, v, -np.inf).max(-1)
    bottom = np.where(seen, v, np.inf).min(-1)
    return np.where(top <= v.min(), v.min(), low), np.where(bottom >= v.max(), v.max(), high)


def _blend_stat(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    original = iv._profile_stats

    def averaged(counts: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pearson, lr = original(counts, u)
        both = 0.5 * (pearson + lr)
        return both, both

    iv._profile_stats = averaged
    try:
        return iv.score_interval(c, w, a, t)
    finally:
        iv._profile_stats = original


def _blend_ends(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    low_s, high_s = iv.score_interval(c, w, a, t)
    low_l, high_l = iv.score_interval(c, w, a, t, statistic="lr")
    return 0.5 * (low_s + low_l), 0.5 * (high_s + high_l)


CANDIDATES: dict[str, Interval] = {
    "score": lambda c, w, a, t: iv.score_interval(c, w, a, t),
    "lr": lambda c, w, a, t: iv.score_interval(c, w, a, t, statistic="lr"),
    "blend-ends": _blend_ends,
    "blend-stat": _blend_stat,
    "jeffreys": jeffreys,
}


def binomial_intervals(x: np.ndarray, n: int, level: float = 0.95) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The classic binomial intervals, for the accuracy cells (t = 0, where S is a proportion)."""
    z = iv.z_value(level)
    q = (1 - level) / 2
    ph = x / n
    wilson = iv.wilson(x, n, level)
    zt = iv.t_value(level, n - 1)
    centre, denom = (ph + zt * zt / (2 * n)), 1 + zt * zt / n
    half = zt * np.sqrt(ph * (1 - ph) / n + zt * zt / (4 * n * n))
    nt = n + z * z
    pt = (x + z * z / 2) / nt
    ac_half = z * np.sqrt(pt * (1 - pt) / nt)
    cc_low = (2 * n * ph + z * z - (z * np.sqrt(np.clip(z * z - 1 / n + 4 * n * ph * (1 - ph) + (4 * ph - 2), 0, None))
                                     + 1)) / (2 * (n + z * z))
    cc_high = (2 * n * ph + z * z + (z * np.sqrt(np.clip(z * z - 1 / n + 4 * n * ph * (1 - ph) - (4 * ph - 2), 0, None))
                                      + 1)) / (2 * (n + z * z))
    a, b = x + 0.5, n - x + 0.5
    return {
        "Wilson": wilson,
        "Wilson, t(n-1)": ((centre - half) / denom, (centre + half) / denom),
        "Jeffreys": (np.where(x == 0, 0.0, beta_ppf(q, a, b)), np.where(x == n, 1.0, beta_ppf(1 - q, a, b))),
        "Agresti-Coull": (pt - ac_half, pt + ac_half),
        "Wilson, continuity-corrected": (np.where(x == 0, 0.0, cc_low), np.where(x == n, 1.0, cc_high)),
    }


def binomial_table() -> None:
    """Accuracy (t = 0) cells with n = 30..200: how many of the 20 each binomial interval meets."""
    ns = tuple(n for n in FULL.ns if 30 <= n <= 200)
    met: dict[str, int] = {}
    for p in {mix[0] for mix in MIXES.values()}:
        for n in ns:
            x = np.arange(n + 1, dtype="float64")
            logs = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in x])
            prob = np.exp(logs + x * math.log(p) + (n - x) * math.log1p(-p))
            for name, (low, high) in binomial_intervals(x, n).items():
                cover = float(prob[(low <= p + 1e-12) & (p - 1e-12 <= high)].sum())
                met[name] = met.get(name, 0) + (abs(cover - 0.95) <= 0.015)
    print(f"\n| binomial interval (t = 0) | cells with n = 30-200 within 95 +/- 1.5 % (of {5 * len(ns)}) |")
    print("|---|---:|")
    for name, count in met.items():
        print(f"| {name} | {count} |")


def main(argv: list[str]) -> int:
    if argv == ["binomial"]:
        binomial_table()
        return 0
    names = argv or list(CANDIDATES)
    start = time.perf_counter()
    cells: dict[str, list[tuple[str, int, float, float]]] = {m: [] for m in names}
    for mix, p in MIXES.items():
        for n in FULL.ns:
            counts, prob, _ = outcomes(n, p)
            for t in FULL.ts:
                truth = true_score(p, t)
                for name in names:
                    low, high = CANDIDATES[name](counts[:, 0], counts[:, 1], counts[:, 2], t)
                    cells[name].append((mix, n, t, float(prob[(low <= truth + 1e-12) & (truth - 1e-12 <= high)].sum())))
    print("| candidate | cells with n >= 30 within 95 +/- 1.5 % | lowest cell anywhere |")
    print("|---|---:|---|")
    for name in names:
        big = [x for x in cells[name] if x[1] >= 30]
        worst = min(cells[name], key=lambda x: x[3])
        print(f"| {name} | {sum(abs(x[3] - 0.95) <= 0.015 for x in big)}/{len(big)} | "
              f"{100 * worst[3]:.1f} % (n={worst[1]}, t={worst[2]:g}, {worst[0]}) |")
    binomial_table()
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
