"""Standard errors and intervals for confidence-target scores (Miller 2024, "Adding Error Bars").

Per item the score takes one of three values (1, -k, idk_credit), so the CLT standard error
follows from the counts alone. Clustered standard errors need the counts per cluster, which
are still counts: sum over clusters of the squared residual totals, with the G/(G-1) factor
that makes singleton clusters reproduce the plain CLT error exactly.
"""

from __future__ import annotations

import math
from functools import lru_cache
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


# ---- issue 20: intervals that keep their level at small n, high t and few clusters --------------
#
# S(t) is the mean of a variable with three known values (1, -k, credit), so its counts (C, W, A)
# are multinomial and an interval can respect that shape. The *score* interval (a Wilson interval
# generalised to the multinomial mean) is the set of means mu0 that Pearson's score test does not
# reject, the test evaluated at the multinomial maximum-likelihood fit under "mean = mu0". That fit
# may put mass on a value never observed (a wrong answer when W = 0), which is what keeps the
# interval honest for a model with no wrong answer in 30 items at t = 0.9: the interval reaches
# down by the penalty times the plausible error rate, not by zero. benchmarks/coverage.py measured
# it against the CLT, Student-t and likelihood-ratio intervals (docs/intervals.md).

INTERVAL_CHOICES = ("auto", "score", "lr", "t", "clt")
_BISECT_STEPS = 10
_SECANT_STEPS = 18


def _check_level(level: float) -> float:
    if not (0.0 < level < 1.0):
        raise ValueError(f"level must lie in (0, 1), not {level!r}")
    return float(level)


def _profile_stats(counts: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's score statistic and the likelihood-ratio statistic of "E[value] = mu0" per row.

    ``counts`` (N, 3) multinomial counts, ``u`` (N, 3) each category's value minus mu0. The
    constrained fit is p_j = n_j / (n (1 + lam u_j)) for observed categories, lam maximising the
    concave dual D(lam) = sum_j n_j log(1 + lam u_j) over 1 + lam u_j >= 0 for *every* category
    (the support is known); when the maximum sits on the bound of an unobserved category, that
    category takes the remaining mass (the Karush-Kuhn-Tucker solution). With three categories
    D'(lam) times the product of the (1 + lam u_j) is a quadratic, so lam is a root of it: solved
    in closed form, vectorised over rows (a bisection here made a 99-threshold board slow).
    """
    counts = np.asarray(counts, dtype="float64")
    u = np.asarray(u, dtype="float64")
    n = counts.sum(axis=1)
    seen = counts > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = -1.0 / u
    lam_hi = np.where(u < 0, bound, np.inf).min(axis=1)
    lam_lo = np.where(u > 0, bound, -np.inf).max(axis=1)
    finite = np.isfinite(lam_lo) & np.isfinite(lam_hi)
    n0, n1, n2 = counts.T
    u0, u1, u2 = u.T
    c0 = n0 * u0 + n1 * u1 + n2 * u2  # n (mean - mu0): the sign of D'(0)
    c1 = n0 * u0 * (u1 + u2) + n1 * u1 * (u0 + u2) + n2 * u2 * (u0 + u1)
    c2 = n * u0 * u1 * u2
    disc = np.clip(c1 * c1 - 4.0 * c2 * c0, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the stable pair of roots of c2 x^2 + c1 x + c0 (a linear equation when c2 = 0)
        q = -0.5 * (c1 + np.where(c1 >= 0, 1.0, -1.0) * np.sqrt(disc))
        r1 = np.where(c2 != 0, q / c2, -c0 / c1)
        r2 = np.where(q != 0, c0 / q, np.nan)
    up = c0 > 0  # the root lies between 0 and lam_hi; else between lam_lo and 0
    edge = np.where(up, lam_hi, lam_lo)
    lam = edge.copy()
    for root in (r2, r1):
        inside = np.where(up, (root >= 0) & (root < lam_hi), (root <= 0) & (root > lam_lo))
        closer = np.where(up, root < lam, root > lam)
        lam = np.where(inside & closer & np.isfinite(root), root, lam)
    lam = np.where(c0 == 0, 0.0, lam)
    lam = np.where(finite, lam, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(seen, counts / (n[:, None] * (1.0 + lam[:, None] * u)), 0.0)
    rest = np.clip(1.0 - p.sum(axis=1), 0.0, None)
    # the remaining mass goes to the unobserved category whose bound lam reached
    target = np.where(up[:, None], (u < 0) & _same_bound(bound, lam_hi[:, None]),
                      (u > 0) & _same_bound(bound, lam_lo[:, None])) & ~seen
    first = target & (np.cumsum(target, axis=1) == 1)
    p = p + first * rest[:, None]
    expected = n[:, None] * p
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(expected > 0, (counts - expected) ** 2 / expected, np.where(seen, np.inf, 0.0)).sum(axis=1)
        lr = 2.0 * np.where(seen, counts * np.log(counts / expected), 0.0).sum(axis=1)
    bad = ~finite | (n <= 0)
    return np.where(bad, np.inf, pearson), np.where(bad, np.inf, lr)


def _same_bound(bound: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """``np.isclose(bound, reached, rtol=1e-12, atol=0)`` without its Python-level checks (it ran
    twice per evaluation of :func:`_profile_stats`, about 60 times per interval side: a third of
    a small board's interval time): equal, or both finite and within 1e-12 relatively."""
    with np.errstate(invalid="ignore"):
        return (bound == reached) | (np.isfinite(reached) & (np.abs(bound - reached) <= 1e-12 * np.abs(reached)))


def _invert(counts: np.ndarray, base: np.ndarray, slope: np.ndarray, estimate: np.ndarray, low: np.ndarray,
            high: np.ndarray, critical: float | np.ndarray, statistic: str) -> tuple[np.ndarray, np.ndarray]:
    """The set {theta in [low, high]: stat(theta) <= critical} as (lower, upper), by bisection on
    each side of the estimate (the statistic is 0 there and grows towards the ends).

    Each category's value minus the tested mean is ``base - theta * slope`` (``base`` per row or
    shared, ``slope`` shared). Both ends are searched in one pass over the rows stacked twice:
    every row's search is elementwise, so the ends are those of two passes, at half the numpy calls
    (a small board's 4 x 10 intervals spent nearly all their time in per-call overhead).
    """
    index = 0 if statistic == "score" else 1
    rows = len(estimate)
    both_counts = np.concatenate([counts, counts])
    both_base = np.concatenate([base, base]) if np.ndim(base) == 2 else base
    crit = np.concatenate([critical, critical]) if np.ndim(critical) else critical

    def stat(theta: np.ndarray) -> np.ndarray:
        return _profile_stats(both_counts, both_base - theta[:, None] * slope)[index]

    edge = np.concatenate([low, high])
    inside, outside = np.concatenate([estimate, estimate]), edge.copy()
    reaches = stat(edge) <= crit  # the whole side is plausible: the end is the support's end
    # a few halvings first (the statistic is infinite at an end the data rule out), then
    # false position (Illinois) on the square root of the statistic, nearly linear in theta:
    # 28 evaluations instead of 52 halvings, the same ends to a few 1e-9 of the range
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (inside + outside)
        keep = stat(mid) <= crit
        inside = np.where(keep, mid, inside)
        outside = np.where(keep, outside, mid)

    def gap(theta: np.ndarray) -> np.ndarray:
        return np.sqrt(np.clip(stat(theta), 0.0, None)) - np.sqrt(crit)

    f_in = gap(inside)
    f_out = gap(outside)
    side = np.zeros(inside.shape)
    for _ in range(_SECANT_STEPS):
        usable = np.isfinite(f_out) & (f_out > f_in)
        with np.errstate(invalid="ignore", divide="ignore"):
            guess = outside - f_out * (outside - inside) / (f_out - f_in)
        guess = np.where(usable & np.isfinite(guess), guess, 0.5 * (inside + outside))
        f_new = gap(guess)
        keep = f_new <= 0
        # Illinois: when the same end moves twice, halve the other end's value
        f_out = np.where(keep & (side == 1), 0.5 * f_out, f_out)
        f_in = np.where(~keep & (side == -1), 0.5 * f_in, f_in)
        inside, f_in = np.where(keep, guess, inside), np.where(keep, f_new, f_in)
        outside, f_out = np.where(keep, outside, guess), np.where(keep, f_out, f_new)
        side = np.where(keep, 1, -1)
    # false position may leave one end of the bracket in place: the end is the closer point
    best = np.where(np.abs(f_in) <= np.abs(np.nan_to_num(f_out, nan=np.inf)), inside, outside)
    ends = np.where(reaches, edge, best)
    return ends[:rows], ends[rows:]


def score_interval(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray, idk_credit: float = 0.0,
                   level: float = 0.95, statistic: str = "score", critical: float | np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Score (``statistic="score"``, generalised Wilson) or likelihood-ratio (``"lr"``) interval of S(t).

    Inverts the test of "mean = mu0" for the multinomial (C, W, A) on values (1, -k, credit), so
    the interval is never wider than the possible range [-k, 1] (or [-k, credit] ...) and is not
    zero-width when every item had the same outcome. At t = 0 with credit 0 it is exactly the
    Wilson interval of the accuracy. NaN where n = 0. Counts may be fractional (effective counts
    of clustered data); ``critical`` replaces the chi-square(1) critical value z^2 (one number, or one per row).
    """
    c, w, a = np.broadcast_arrays(*(np.asarray(x, dtype="float64") for x in (c, w, a)))
    t_arr = np.broadcast_to(np.asarray(t, dtype="float64"), c.shape)
    shape = c.shape
    counts = np.stack([c.ravel(), w.ravel(), a.ravel()], axis=1)
    k = penalty(t_arr.ravel())
    values = np.stack([np.ones_like(k), -k, np.full_like(k, float(idk_credit))], axis=1)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (counts * values).sum(axis=1) / n
    z = z_value(_check_level(level))
    low, high = values.min(axis=1), values.max(axis=1)
    ok = n > 0
    est = np.where(ok, estimate, 0.0)
    crit = z * z if critical is None else np.broadcast_to(np.asarray(critical, dtype="float64"), shape).ravel()
    lower, upper = _invert(counts, values, np.ones(3), est, low, high, crit, statistic)
    lower = np.where(ok, lower, np.nan)
    upper = np.where(ok, upper, np.nan)
    return lower.reshape(shape), upper.reshape(shape)


def ratio_score_interval(counts: np.ndarray, numerator: np.ndarray, denominator: np.ndarray,
                         level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Score interval of a ratio of linear functions of multinomial probabilities, r in [0, 1].

    r = (a . p)/(b . p) with a, b >= 0 equals r0 exactly when (a - r0 b) . p = 0, a linear
    constraint, so the same profile score test applies (used for the F-score 2C/(2C + 2W + A)).
    NaN where the denominator's count is 0.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype="float64"))
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    top, bottom = counts @ num, counts @ den
    ok = bottom > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(ok, top / bottom, 0.5)
    rows = counts.shape[0]
    z = z_value(_check_level(level))
    # the value of category j under "ratio = r" is num_j - r den_j, tested against mean 0
    lower, upper = _invert(counts, num, den, est, np.zeros(rows), np.ones(rows), z * z, "score")
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def f_score_interval(c: np.ndarray, w: np.ndarray, a: np.ndarray, level: float = 0.95
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the F-score 2C/(2C + 2W + A) (harmonic mean of accuracy and accuracy on attempted)."""
    counts = np.stack([np.atleast_1d(np.asarray(x, dtype="float64")) for x in (c, w, a)], axis=1)
    lower, upper = ratio_score_interval(counts, np.array([2.0, 0.0, 0.0]), np.array([2.0, 2.0, 1.0]), level)
    attempted = counts[:, 0] + counts[:, 1]
    return np.where(attempted > 0, lower, np.nan), np.where(attempted > 0, upper, np.nan)


def wilson(successes: np.ndarray | float, trials: np.ndarray | float, level: float = 0.95
           ) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Wilson score interval of a binomial proportion; NaN where trials = 0."""
    x = np.asarray(successes, dtype="float64")
    m = np.asarray(trials, dtype="float64")
    z = z_value(_check_level(level))
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = x / m
        denom = 1.0 + z * z / m
        centre = (phat + z * z / (2 * m)) / denom
        half = z * np.sqrt(np.clip(phat * (1 - phat), 0.0, None) / m + z * z / (4 * m * m)) / denom
        low = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact ends where the count is at a bound (the formula gives them up to rounding)
    low = np.where((m > 0) & (x == 0), 0.0, low)
    high = np.where((m > 0) & (x == m), 1.0, high)
    return low, high


# ---- Student's t (few clusters) without scipy ----------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) (Numerical Recipes' continued fraction)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(x: float, df: float) -> float:
    """Student's t distribution function."""
    if math.isinf(df):
        return NormalDist().cdf(x)
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + x * x))
    return 1.0 - tail if x >= 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by bisection on :func:`t_cdf` (to 1e-12); the normal one for df = inf."""
    if not (0.0 < p < 1.0) or not df > 0:
        return float("nan")
    if math.isinf(df):
        return NormalDist().inv_cdf(p)
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def t_value(level: float, df: float) -> float:
    """Two-sided critical value of Student's t with ``df`` degrees of freedom."""
    return t_quantile(1.0 - (1.0 - level) / 2.0, float(df))


def cr2_se(cluster_counts: pd.DataFrame, t: float, idk_credit: float = 0.0) -> float:
    """Clustered SE of a mean with the CR2 (Bell-McCaffrey) small-sample adjustment.

    For a mean (intercept-only regression) the CR2 adjustment divides each cluster's squared
    residual total by 1 - n_g/n, the cluster's leverage; with equal clusters that is the
    G/(G-1) of CR1, with unequal clusters it weighs the large clusters up. Paired with Student's
    t on G - 1 degrees of freedom (the Bell-McCaffrey degrees of freedom for equal clusters).
    """
    c = cluster_counts["C"].to_numpy(dtype="float64")
    w = cluster_counts["W"].to_numpy(dtype="float64")
    a = cluster_counts["A"].to_numpy(dtype="float64")
    return float(cr2_se_arrays(c, w, a, t, idk_credit))


def cr2_se_arrays(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray,
                  idk_credit: float = 0.0) -> np.ndarray:
    """:func:`cr2_se` on arrays whose last axis runs over clusters (for the coverage benchmark)."""
    c, w, a = (np.asarray(x, dtype="float64") for x in (c, w, a))
    n_g = c + w + a
    n = n_g.sum(axis=-1)
    g = (n_g > 0).sum(axis=-1)
    k = np.asarray(penalty(np.asarray(t, dtype="float64")))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = ((c - k[..., None] * w + idk_credit * a).sum(axis=-1) if k.ndim else
                (c - k * w + idk_credit * a).sum(axis=-1)) / n
        kk = k[..., None] if k.ndim else k
        residual = c - kk * w + idk_credit * a - n_g * mean[..., None]
        leverage = n_g / n[..., None]
        ss = np.where(n_g > 0, residual**2 / (1.0 - leverage), 0.0).sum(axis=-1)
        se = np.sqrt(ss) / n
    return np.where((g > 1) & (n > 1), se, np.nan)


# ---- one entry point for the leaderboard and the policy columns ---------------------------------
CLUSTERED_DEFAULT = "score-deff"
_CLUSTERED = {"auto": CLUSTERED_DEFAULT, "score": "score-deff", "lr": "lr-deff", "t": "cr2-t", "clt": "clt"}
METHOD_WORDS = {
    "score": "score (generalised Wilson) interval of the multinomial mean",
    "lr": "likelihood-ratio interval of the multinomial mean",
    "t": "mean +/- Student t(n-1) x SE",
    "clt": "normal (mean +/- z*SE)",
    "score-deff": "score interval on effective counts (counts / design effect from the CR2 SE), "
                  "Student t critical value on Satterthwaite df (at most G-1)",
    "lr-deff": "likelihood-ratio interval on effective counts (counts / CR2 design effect), "
               "Student t critical value on Satterthwaite df (at most G-1)",
    "cr2-t": "mean +/- Student t(G-1) x CR2 clustered SE",
}


def method_name(choice: str, clustered: bool) -> str:
    """The interval method a ``--interval`` choice resolves to (named in ``se_method`` and the footers).

    Without clusters: ``score`` (the default), ``lr``, ``t`` or ``clt``. With clusters: the
    same family on effective counts (``score-deff``, the default; ``lr-deff``), ``cr2-t``, or
    ``clt`` (CR1 SE and a normal quantile: the method before issue 20).
    """
    if choice not in INTERVAL_CHOICES:
        from rescore.errors import UsageError

        raise UsageError(f"--interval must be one of {', '.join(INTERVAL_CHOICES)}, not {choice!r}")
    if clustered:
        return _CLUSTERED[choice]
    return "score" if choice == "auto" else choice


def clustered_group_intervals(method: str, cluster_counts: pd.DataFrame, ts: np.ndarray, idk_credit: float = 0.0,
                              level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SE and interval of one group's S(t) at every t from its per-cluster counts (C, W, A).

    ``clt``: CR1 SE (G/(G-1)) and z. ``cr2-t``: CR2 SE and Student t with G - 1 df.
    ``score-deff`` / ``lr-deff``: the score (LR) interval on the counts divided by the design
    effect (CR2 variance over the independent-items variance), with t(df)^2 as the
    critical value: it keeps the score interval's shape at high t and the clusters' width.
    """
    ts = np.asarray(ts, dtype="float64")
    c = cluster_counts["C"].to_numpy(dtype="float64")
    w = cluster_counts["W"].to_numpy(dtype="float64")
    a = cluster_counts["A"].to_numpy(dtype="float64")
    g = int(((c + w + a) > 0).sum())
    big_c, big_w, big_a = c.sum(), w.sum(), a.sum()
    mean = score_from_counts(big_c, big_w, big_a, ts, idk_credit)
    if method == "clt":
        se = np.array([clustered_se(cluster_counts, float(t), idk_credit) for t in ts])
        z = z_value(level)
        defined = np.isfinite(se) & (se > 0)
        return se, np.where(defined, mean - z * se, np.nan), np.where(defined, mean + z * se, np.nan)
    se = cr2_se_arrays(c, w, a, ts, idk_credit)
    crit = t_value(level, g - 1) if g >= 2 else float("nan")
    if method == "cr2-t":
        defined = np.isfinite(se) & (se > 0) & np.isfinite(crit)
        return se, np.where(defined, mean - crit * se, np.nan), np.where(defined, mean + crit * se, np.nan)
    if method not in ("score-deff", "lr-deff"):
        raise ValueError(f"unknown clustered interval method {method!r}")
    rows = np.ones((ts.size, 1))
    se, low, high = deff_score_interval(rows * c, rows * w, rows * a, ts, idk_credit, level,
                                        "lr" if method == "lr-deff" else "score")
    return se, low, high


#: the smallest design effect score-deff uses (a CR2 variance of 0 must not give infinite counts)
DEFF_FLOOR = 0.5


def cr2_satterthwaite_df(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray,
                         idk_credit: float = 0.0) -> np.ndarray:
    """Degrees of freedom of the CR2 variance for score-deff: min(G - 1, 3 (sum u_g)^2 / sum u_g^2).

    u_g = (cluster g's residual total)^2 / (1 - n_g/n) is cluster g's share of the CR2 variance.
    Satterthwaite's df is 2 E[V]^2 / Var(V); with normal residuals Var(u_g) = (2/3) E[u_g^2], so
    3 (sum u)^2 / sum u^2 estimates it from the data: about G when the clusters contribute alike,
    near 1 when one cluster carries the variance (a few wrong answers, all in one cluster, at
    high t: the case where the variance estimate is least reliable and 88.9 % was measured with
    G - 1). Capped at G - 1 (the Bell-McCaffrey df of equal clusters) and rounded down to 0.1,
    so equal designs share one critical value. NaN with fewer than two clusters.
    """
    c, w, a = (np.asarray(x, dtype="float64") for x in (c, w, a))
    n_g = c + w + a
    n = n_g.sum(axis=-1)
    g = (n_g > 0).sum(axis=-1)
    k = np.asarray(penalty(np.asarray(t, dtype="float64")))
    kk = k[..., None] if k.ndim else k
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c - kk * w + idk_credit * a).sum(axis=-1) / n
        residual = c - kk * w + idk_credit * a - n_g * mean[..., None]
        u = np.where(n_g > 0, residual**2 / (1.0 - n_g / n[..., None]), 0.0)
        ratio = 3.0 * u.sum(axis=-1) ** 2 / (u**2).sum(axis=-1)
    df = np.where(np.isfinite(ratio), np.minimum(g - 1.0, np.floor(ratio * 10.0) / 10.0), g - 1.0)
    return np.where(g >= 2, np.maximum(df, 1.0), np.nan)


def deff_score_interval(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray, idk_credit: float = 0.0,
                        level: float = 0.95, statistic: str = "score") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CR2 SE and the score (LR) interval on effective counts, for datasets along the leading axis.

    ``c``, ``w``, ``a`` are per-cluster counts (..., G); ``t`` broadcasts to the leading shape.
    The design effect is the CR2 variance over the independent-items variance; the counts are
    divided by it and the critical value is t(df)^2 with df from :func:`cr2_satterthwaite_df`.
    (The coverage benchmark calls this too.)

    The design effect is not floored at 1: CR2 is unbiased, and flooring its noisy ratio at 1
    biased it upwards (with 10 clusters at ICC 0.05 a quarter of the estimates fall below 1, and
    the floored intervals covered 96.5-97.5 %). It is floored at :data:`DEFF_FLOOR` only so that
    a CR2 variance of 0 (every cluster at the overall mean) cannot make the counts infinite.
    """
    c, w, a = (np.asarray(x, dtype="float64") for x in (c, w, a))
    t_arr = np.broadcast_to(np.asarray(t, dtype="float64"), c.shape[:-1])
    se = cr2_se_arrays(c, w, a, t_arr, idk_credit) if t_arr.ndim else cr2_se_arrays(c, w, a, float(t_arr),
                                                                                        idk_credit)
    g = ((c + w + a) > 0).sum(axis=-1)
    big_c, big_w, big_a = c.sum(axis=-1), w.sum(axis=-1), a.sum(axis=-1)
    iid = clt_se(big_c, big_w, big_a, t_arr, idk_credit)
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = np.where(np.isfinite(se) & (iid > 0), np.maximum((se / iid) ** 2, DEFF_FLOOR), 1.0)
    df = cr2_satterthwaite_df(c, w, a, t_arr, idk_credit)
    crit = np.array([t_value(level, d) if d >= 1 else np.nan for d in np.ravel(df)]).reshape(np.shape(g))
    low = np.full(np.shape(big_c), np.nan)
    high = np.full(np.shape(big_c), np.nan)
    ok = np.isfinite(crit)
    low[ok], high[ok] = score_interval(big_c[ok] / deff[ok], big_w[ok] / deff[ok], big_a[ok] / deff[ok],
                                       t_arr[ok], idk_credit, level, statistic, critical=crit[ok] ** 2)
    return se, low, high


def counts_interval(method: str, c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray,
                    idk_credit: float = 0.0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The interval of S(t) from independent items' counts by ``method`` (score, lr, t or clt).

    ``clt`` and ``t`` are undefined (NaN) where the sample SE is 0 or n < 2: a zero-width interval
    from a sample with one outcome reads like certainty. ``score`` and ``lr`` are defined for n >= 1.
    """
    c, w, a = np.broadcast_arrays(*(np.asarray(x, dtype="float64") for x in (c, w, a)))
    t_arr = np.broadcast_to(np.asarray(t, dtype="float64"), c.shape)
    if method in ("score", "lr"):
        return score_interval(c, w, a, t_arr, idk_credit, level, method)
    n = c + w + a
    se = clt_se(c, w, a, t_arr, idk_credit)
    mean = np.asarray(score_from_counts(c, w, a, t_arr, idk_credit))
    if method == "t":
        crit = np.array([t_value(level, df) if df >= 1 else np.nan for df in (n - 1).ravel()]).reshape(n.shape)
    elif method == "clt":
        crit = np.full(n.shape, z_value(level))
    else:
        raise ValueError(f"unknown interval method {method!r}")
    defined = np.isfinite(se) & (se > 0)
    return np.where(defined, mean - crit * se, np.nan), np.where(defined, mean + crit * se, np.nan)


def score_from_counts(c: np.ndarray, w: np.ndarray, a: np.ndarray, t: float | np.ndarray,
                      idk_credit: float = 0.0) -> np.ndarray:
    n = np.asarray(c, dtype="float64") + w + a
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.asarray(c, dtype="float64") - penalty(np.asarray(t, dtype="float64")) * w + idk_credit * a) / n


def clustered_interval(method: str, mean: float, se: float, clusters: int, level: float = 0.95
                       ) -> tuple[float, float]:
    """mean -/+ critical * SE for clustered data: Student's t on G - 1 df (``cr2-t``) or z (``clt``)."""
    if not (np.isfinite(se) and se > 0) or clusters < 2:
        return float("nan"), float("nan")
    crit = z_value(level) if method == "clt" else t_value(level, clusters - 1)
    return mean - crit * se, mean + crit * se
