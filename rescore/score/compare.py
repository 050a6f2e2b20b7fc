"""Paired comparison of models at every confidence target (Miller 2024, sec. 4; peers.md sec. 3-4).

Two models graded on the same items are compared on per-item score differences, which removes
the shared item difficulty from the noise: Var(A - B) = Var(A) + Var(B) - 2 Cov(A, B).

Alignment is on (benchmark, subset, item_id, attempt); items only one model has are dropped
from that pair and counted. Per item the score is linear in the penalty k = t/(1-t):
x = c - k w + credit a, so the difference is d(t) = dc - k dw + credit da with dc, dw, da in
{-1, 0, 1}. Every statistic therefore comes from three columns per pair:

- the difference of means and its paired SE (CLT, or clustered when clusters exist) at every t
  from one 3x3 scatter matrix, so adding thresholds costs O(1) each;
- a seeded paired bootstrap (items, or whole clusters when clusters exist) whose resampled
  column sums give the difference at every t and the crossover at once;
- the **crossover** target: S_A(t) - S_B(t) = (dC + credit dA) - k dW, with dC, dW, dA the
  differences of per-item-count means, is linear in k, so the order of A and B flips exactly
  once, at k* = (dC + credit dA)/dW when that is positive; t* = k*/(1+k*) (with credit 0,
  k* = dC/dW). A post-hoc rescore keeps each model's *fixed* abstentions: t* says where the
  ranking of these two runs flips, not where a re-prompted model would land.

p-values are two-sided normal tests on the paired SE (Student t with G - 1 df on the CR2 SE for
clusters; the exact sign-flip test when fewer than 30 units differ or every difference is equal,
issue 20), adjusted across the pairs of one
(benchmark, t) by Holm (family-wise) or Benjamini-Hochberg (false discovery rate). A model is
"statistically tied with #1" when its adjusted test against the leader is not significant.
Kendall tau-b compares the ranking at t = 0 with the ranking at every t.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import combinations
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import UsageError
from rescore.read.schema import fold_key
from rescore.score.item_keys import ItemKeys
from rescore.score.item_scores import as_dataset, counts_only, omitted_frame, scored_items, without_unscored
from rescore.score.results import StatsReport, base_provenance
from rescore.score.rule import Policy, check_thresholds, penalty

CORRECTIONS = ("holm", "bh", "none")
_NORMAL = NormalDist()


# ---- pure statistics ---------------------------------------------------------------------------
def p_two_sided(diff: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value of diff/se; se == 0 gives 1 for a zero difference, else 0."""
    diff = np.asarray(diff, dtype="float64")
    se = np.asarray(se, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(diff) / se
    # erfc keeps a tiny tail's digits (1 - cdf(z) is 0 from z = 8.3 on: p = 1e-17 printed as 0)
    p = np.array([math.erfc(x / math.sqrt(2.0)) if math.isfinite(x) else np.nan
                  for x in np.ravel(z).tolist()]).reshape(np.shape(z))
    p = np.where(se == 0, np.where(np.abs(diff) < 1e-12, 1.0, 0.0), p)
    return p.reshape(np.shape(diff))


EXACT_BELOW = 30  # fewer differing units than this: the exact sign-flip test (issue 20)
_EXACT_STATES = 1 << 20  # the sign-flip distribution is enumerated up to this many states


def p_student(diff: float, se: float, df: float) -> float:
    """Two-sided p-value of diff/se under Student's t with ``df`` degrees of freedom."""
    from rescore.score.intervals import t_cdf

    if not (se > 0) or not df >= 1 or diff != diff:
        return float("nan")
    return float(min(1.0, 2.0 * t_cdf(-abs(diff) / se, df)))  # the lower tail keeps its digits


def _log_binomial_cdf_half(j: int, m: int) -> float:
    """log P(B <= j) for B ~ Binomial(m, 1/2), in log space so tiny tails keep their digits."""
    b = np.arange(j + 1, dtype="float64")
    logs = (math.lgamma(m + 1.0) - np.array([math.lgamma(x + 1.0) + math.lgamma(m - x + 1.0) for x in b])
            - m * math.log(2.0))
    top = float(logs.max())
    return top + math.log(float(np.exp(logs - top).sum()))


def sign_flip_p(values: np.ndarray, counts: np.ndarray) -> float:
    """Exact two-sided p-value of the sign-flip test: units with difference ``values[i]`` (non-zero),
    ``counts[i]`` of each; the statistic is the sum, its null flips every unit's sign fairly.

    One magnitude (every difference of equal size): the sign test, P(|2B - m| >= |observed|)
    with B ~ Binomial(m, 1/2), from log-space tails. Several magnitudes: the null distribution is
    the convolution of one binomial per magnitude, enumerated exactly; NaN when that would
    exceed 2^20 states (the caller then uses the normal or t test).
    """
    values = np.asarray(values, dtype="float64")
    counts = np.asarray(counts, dtype="int64")
    if not values.size or counts.sum() == 0:
        return 1.0
    mags = np.round(np.abs(values), 12)
    classes, inverse = np.unique(mags, return_inverse=True)
    positive = np.bincount(inverse, weights=counts * (values > 0), minlength=classes.size).astype("int64")
    sizes = np.bincount(inverse, weights=counts, minlength=classes.size).astype("int64")
    if classes.size == 1:
        m, x = int(sizes[0]), int(positive[0])
        j = min(x, m - x)
        if 2 * j == m:
            return 1.0
        return float(min(1.0, 2.0 * math.exp(_log_binomial_cdf_half(j, m))))
    if float(np.prod((sizes + 1).astype("float64"))) > _EXACT_STATES:
        return float("nan")
    observed = float(np.sum(classes * (2 * positive - sizes)))
    # every joint state (one binomial count per magnitude) with its probability: a tail sum needs
    # no merged support (merging with np.unique after each magnitude cost most of the time)
    support, prob = np.zeros(1), np.ones(1)
    for mag, m in zip(classes, sizes, strict=True):
        b = np.arange(m + 1)
        support = (support[:, None] + mag * (2 * b - m)[None, :]).ravel()
        prob = (prob[:, None] * _half_binomial_pmf(int(m))[None, :]).ravel()
    tol = 1e-9 * max(1.0, abs(observed))
    return float(min(1.0, prob[np.abs(support) >= abs(observed) - tol].sum()))


_JOINT_STATES = 1 << 16  # per-kind joint states kept for a pair's grid of targets (else per target)


def _joint_sign_states(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Every joint state of a sign-flip null with ``counts[k]`` units of kind k: (S, K) matrix of
    2b_k - m_k (positives minus negatives of each kind) and the (S,) probabilities.

    The states do not depend on t, only the kinds' differences do, so a pair's exact p at 100
    targets (the HTML slider's grid) is one matrix product each instead of a convolution each.
    None past :data:`_JOINT_STATES` states (the caller then merges equal magnitudes per target)."""
    counts = np.asarray(counts, dtype="int64")
    if float(np.prod((counts + 1).astype("float64"))) > _JOINT_STATES:
        return None
    signs, prob = np.zeros((1, 0)), np.ones(1)
    for m in counts.tolist():
        step = (2 * np.arange(m + 1) - m).astype("float64")
        signs = np.column_stack([np.repeat(signs, m + 1, axis=0), np.tile(step, len(prob))])
        prob = (prob[:, None] * _half_binomial_pmf(m)[None, :]).ravel()
    return signs, prob


def _joint_tail(states: tuple[np.ndarray, np.ndarray], values: np.ndarray, counts: np.ndarray) -> float:
    """The sign-flip test's p from :func:`_joint_sign_states`: the same tail as :func:`sign_flip_p`."""
    signs, prob = states
    observed = float(values @ counts)
    tol = 1e-9 * max(1.0, abs(observed))
    return float(min(1.0, prob[np.abs(signs @ np.abs(values)) >= abs(observed) - tol].sum()))


@lru_cache(maxsize=256)
def _half_binomial_pmf(m: int) -> np.ndarray:
    """Binomial(m, 1/2) probabilities of 0..m (cached: the sign-flip test asks for small m often)."""
    pmf = np.array([math.comb(m, x) for x in range(m + 1)], dtype="float64") / 2.0**m
    pmf.setflags(write=False)
    return pmf


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (controls the family-wise error rate); NaN stays NaN."""
    p = np.asarray(p, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (controls the false discovery rate); NaN stays NaN."""
    p = np.asarray(p, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def adjust(p: np.ndarray, correction: str) -> np.ndarray:
    if correction == "holm":
        return holm(p)
    if correction == "bh":
        return benjamini_hochberg(p)
    if correction == "none":
        return np.asarray(p, dtype="float64").copy()
    raise UsageError(f"--correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b (ties in either ranking handled); NaN when either side is all ties."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    i, j = np.triu_indices(x.size, 1)
    sx = np.sign(x[i] - x[j])
    sy = np.sign(y[i] - y[j])
    n0 = i.size
    n1 = n0 - int((sx == 0).sum())
    n2 = n0 - int((sy == 0).sum())
    if n1 == 0 or n2 == 0:
        return float("nan")
    return float(np.sum(sx * sy) / np.sqrt(n1 * n2))


def crossover(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """t* where a - k*b changes sign (k* = a/b > 0), else NaN. ``a`` = dC + credit dA, ``b`` = dW."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        k = a / b
        ok = (np.abs(b) > 1e-12) & (k > 0) & np.isfinite(k)
        return np.where(ok, k / (1.0 + k), np.nan)


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_counts=True)``, fast for small integer values.

    The pair bootstrap asks this of every pair's (n, 4) units; ``np.unique`` with ``axis=0``
    sorts the rows as structured records, about 80 ms for 100k items, which made comparing 50
    models (1,225 pairs) take minutes. Integer rows are numbered in mixed radix instead (the
    first column most significant, so the order is the same lexicographic one) and counted
    with ``bincount``; anything else, or a radix too wide for int64, takes ``np.unique``.
    """
    rows = np.asarray(rows, dtype="float64")
    if rows.ndim != 2 or rows.shape[0] == 0 or not np.abs(rows).max() <= 2.0**20:  # NaN, inf or huge
        return np.unique(rows, axis=0, return_counts=True)
    ints = rows.astype("int64")
    if not np.array_equal(ints, rows):
        return np.unique(rows, axis=0, return_counts=True)
    low = ints.min(axis=0)
    spans = ints.max(axis=0) - low + 1
    if float(np.prod(spans.astype("float64"))) > 2.0**31:
        return np.unique(rows, axis=0, return_counts=True)
    code = ints[:, 0] - low[0]
    for column in range(1, rows.shape[1]):
        code = code * spans[column] + (ints[:, column] - low[column])
    counts = np.bincount(code)
    present = np.flatnonzero(counts)
    kinds = np.empty((present.size, rows.shape[1]), dtype="float64")
    rest = present.copy()
    for column in reversed(range(rows.shape[1])):
        kinds[:, column] = rest % spans[column] + low[column]
        rest //= spans[column]
    return kinds, counts[present]


def _coefficients(ts: np.ndarray, credit: float) -> np.ndarray:
    """Rows (1, -k, credit): the per-item score difference at t is X @ v_t for X = (dc, dw, da)."""
    ts = np.asarray(ts, dtype="float64")
    return np.stack([np.ones_like(ts), -penalty(ts), np.full(ts.shape, credit)], axis=1)


@dataclass
class PairData:
    """The aligned items of one pair: X = (dc, dw, da) per item (A minus B) and optional clusters.

    Unclustered pairs built from a :class:`BenchmarkItems` keep only ``distinct``, X's distinct
    rows (sorted) with how many items have each: X takes at most 7 values, and every statistic
    here is a function of those counts. Building the (n, 3) rows of each of 1,225 pairs of a
    50-model benchmark took most of a compare's time, and keeping them most of its memory.
    """

    benchmark: str
    model_a: str
    model_b: str
    x: np.ndarray | None  # (n, 3) float; None when only ``distinct`` is kept
    clusters: np.ndarray | None  # (n,) int codes, or None for independent items
    dropped_a: int
    dropped_b: int
    distinct: tuple[np.ndarray, np.ndarray] | None = None  # (K, 3) sorted distinct rows of X, (K,) counts

    def __post_init__(self) -> None:
        if self.x is None and (self.distinct is None or self.clusters is not None):
            raise ValueError("PairData needs x, or distinct rows for an unclustered pair")

    @property
    def n(self) -> int:
        if self.x is None:
            return int(self.distinct[1].sum())  # type: ignore[index]
        return int(self.x.shape[0])

    def mean(self) -> np.ndarray:
        """Column means of X (dC, dW, dA); NaN when no item is shared."""
        if self.n == 0:
            return np.full(3, np.nan)
        if self.x is None:
            kinds, counts = self.distinct  # type: ignore[misc]
            return (counts.astype("float64") @ kinds) / self.n
        return self.x.mean(axis=0)

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """Resampling units: per-cluster column totals and sizes (items themselves when unclustered)."""
        if self.x is None:
            raise ValueError("this pair keeps only its distinct rows; use unit_table")
        if self.clusters is None:
            return self.x, np.ones(self.n)
        codes, inverse = np.unique(self.clusters, return_inverse=True)
        totals = np.zeros((codes.size, 3))
        np.add.at(totals, inverse, self.x)
        return totals, np.bincount(inverse, minlength=codes.size).astype("float64")

    @cached_property
    def unit_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct resampling units as rows (totals dc, dw, da, size), sorted, and their counts
        (kept: the SE and the bootstrap both start from it)."""
        if self.x is None:
            kinds, counts = self.distinct  # type: ignore[misc]
            return np.column_stack([kinds, np.ones(len(kinds))]), counts
        totals, sizes = self.units()
        return distinct_rows(np.column_stack([totals, sizes]))

    def diff_se(self, ts: np.ndarray, credit: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Mean difference and paired SE at every t (CLT with n-1, or clustered with G/(G-1)).

        From the distinct units: the scatter of unit residuals is a count-weighted sum over
        at most a few dozen kinds, whatever n is.
        """
        v = _coefficients(ts, credit)
        n = self.n
        if n == 0:
            return np.full(len(v), np.nan), np.full(len(v), np.nan)
        mean = self.mean()
        diff = v @ mean
        kinds, counts = self.unit_table
        weights = counts.astype("float64")
        resid = kinds[:, :3] - kinds[:, 3:4] * mean[None, :]
        scatter = (resid * weights[:, None]).T @ resid
        ss = np.einsum("ti,ij,tj->t", v, scatter, v)
        g = float(weights.sum())
        if self.clusters is None:
            se = np.sqrt(ss / (n * (n - 1.0))) if n > 1 else np.full(len(v), np.nan)
        else:
            # CR2 (Bell-McCaffrey): each cluster's squared residual total over 1 - n_g/n, its leverage
            # (issue 20; equal clusters give CR1's G/(G-1) exactly); p-values use t with G - 1 df
            leverage = kinds[:, 3] / n
            if g > 1 and np.all(leverage < 1.0):
                scaled = (resid * (weights / (1.0 - leverage))[:, None]).T @ resid
                se = np.sqrt(np.einsum("ti,ij,tj->t", v, scaled, v) / n**2)
            else:
                se = np.full(len(v), np.nan)
        return diff, np.maximum(se, 0.0)

    def clusters_count(self) -> int:
        """Resampling units: clusters when clustered, else items."""
        return int(self.unit_table[1].sum())

    def p_values(self, ts: np.ndarray, credit: float = 0.0) -> np.ndarray:
        """Two-sided p-value of "no difference" at every t (issue 20: exact where the normal test breaks).

        When fewer than :data:`EXACT_BELOW` units (items, or clusters) differ at t, or every
        non-zero difference is the same number, the exact sign-flip (permutation) test on the
        differing units is used: under the null the two models are exchangeable on each unit, so
        each difference's sign is a fair coin. Two items that both favour A give 0.5 and five of
        five 0.0625 (the sign test), never a p of 0 from a zero SE. Otherwise the normal test on
        the paired SE, or for clusters Student's t with G - 1 df on the CR2 SE.
        """
        diff, se = self.diff_se(ts, credit)
        v = _coefficients(ts, credit)
        kinds, counts = self.unit_table
        per_unit = kinds[:, :3] @ v.T  # (K, T) the difference of each kind of unit at every t
        out = np.full(len(v), np.nan)
        if self.n == 0:
            return out
        g = self.clusters_count()
        joint: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray] | None] = {}
        # the normal test's p at every t in one call (elementwise, so each value is what a call
        # for that t alone gives): a report's slider asks 100 targets for every pair
        normal = p_two_sided(diff, se) if self.clusters is None else None
        # which kinds of unit differ at each t, how many units that is, and whether all differ
        # alike: whole-array work, so the loop below only visits the targets that need it
        scale = np.maximum(1.0, np.abs(per_unit).max(axis=0)) if per_unit.size else np.ones(len(v))
        differs = np.abs(per_unit) > 1e-12 * scale  # (K, T)
        differing_at = (counts[:, None] * differs).sum(axis=0)
        with np.errstate(invalid="ignore"):  # a t where nothing differs: inf - inf, never read
            spread = (np.where(differs, per_unit, -np.inf).max(axis=0, initial=-np.inf)
                      - np.where(differs, per_unit, np.inf).min(axis=0, initial=np.inf))
        for ti in range(len(v)):
            differing = int(differing_at[ti])
            if differing == 0:
                out[ti] = 1.0
                continue
            col, nonzero = per_unit[:, ti], differs[:, ti]
            equal = float(spread[ti]) <= 1e-12 * float(scale[ti])
            if differing < EXACT_BELOW or equal:
                key = tuple(np.flatnonzero(nonzero).tolist())
                if key not in joint:  # the same differing kinds at many t: their joint states once
                    joint[key] = None if equal else _joint_sign_states(counts[nonzero])
                states = joint[key]
                exact = sign_flip_p(col[nonzero], counts[nonzero]) if states is None else _joint_tail(
                    states, col[nonzero], counts[nonzero])
                if exact == exact:
                    out[ti] = exact
                    continue
            if normal is not None:
                out[ti] = float(normal[ti])
            else:
                out[ti] = p_student(float(diff[ti]), float(se[ti]), g - 1)
        return out

    def bootstrap(self, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Resampled column means (B, 3) of X: every t's difference is then means @ v_t.

        Drawing G units with replacement is a multinomial over the *distinct* units: an item's
        (dc, dw, da) takes at most 7 values, so an unclustered resample costs O(7), not O(n);
        clusters are grouped by their (totals, size). Seeded per pair from (seed, benchmark,
        model_a, model_b), so a pair's interval does not depend on which other models were loaded.
        """
        kinds, freq = self.unit_table
        g = int(freq.sum())
        tag = zlib.crc32(f"{self.benchmark}\x1f{self.model_a}\x1f{self.model_b}".encode())
        rng = np.random.default_rng([int(seed), tag])
        draws = rng.multinomial(g, freq / g, size=resamples).astype("float64")
        sums = draws @ kinds[:, :3]
        counts_n = draws @ kinds[:, 3]
        return sums / counts_n[:, None], counts_n


# ---- building pairs from the item table --------------------------------------------------------
@dataclass
class BenchmarkItems:
    """One benchmark's items as dense per-model arrays over the union of item keys."""

    benchmark: str
    models: list[str]
    present: np.ndarray  # (M, U) bool
    x: np.ndarray  # (M, U, 3) float: c, w, a
    clusters: np.ndarray | None  # (U,) int codes
    # (M, U) int8 outcome codes as outcome_codes has them, when the builder knew them (else derived)
    codes: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def outcome_codes(self) -> np.ndarray | None:
        """(M, U) each present item's outcome as one code (0 correct, 1 wrong, 2 abstain; 0 where
        absent), when items are unclustered and every present item has exactly one of them (what
        scored_items gives); None otherwise, and pairs keep their rows. Derived once, on the first
        pair, unless :func:`benchmark_items` gave them (deriving them from x took 0.4 s at 10M items)."""
        if self.clusters is not None or not self.x.size:
            return None
        if self.codes is not None:
            return self.codes
        if np.array_equal(self.x.sum(axis=2), self.present):
            return np.argmax(self.x, axis=2).astype("int8")
        return None

    def pair(self, i: int, j: int, tables: np.ndarray | None = None) -> PairData:
        """Models i and j on the items both have; ``tables``: :meth:`pair_tables`, when the caller
        made them for every pair at once."""
        names = {"benchmark": self.benchmark, "model_a": self.models[i], "model_b": self.models[j]}
        codes = self.outcome_codes
        if codes is not None:
            table = tables[i, j] if tables is not None else self._pair_table(i, j)
            n_both = int(table.sum())
            held = self.held
            return PairData(**names, x=None, clusters=None, dropped_a=held[i] - n_both, dropped_b=held[j] - n_both,
                            distinct=_distinct_differences(table))
        both = self.present[i] & self.present[j]
        n_both = int(both.sum())
        return PairData(
            **names, x=self.x[i, both] - self.x[j, both],
            clusters=None if self.clusters is None else self.clusters[both],
            dropped_a=int(self.present[i].sum()) - n_both, dropped_b=int(self.present[j].sum()) - n_both,
        )

    @cached_property
    def held(self) -> list[int]:
        """How many items each model has."""
        return self.present.sum(axis=1).tolist()

    def _pair_table(self, i: int, j: int) -> np.ndarray:
        """The (9,) counts of (outcome of i, outcome of j) over the items both have (cell 3p + q)."""
        codes = self.outcome_codes
        both = self.present[i] & self.present[j]
        cells = codes[i].astype("int64") * 3 + codes[j]  # type: ignore[index]
        return np.bincount(cells if both.all() else cells[both], minlength=9)

    def pair_tables(self) -> np.ndarray:
        """(M, M, 9) :meth:`_pair_table` of every pair, as one matrix product of the (3M, U) 0/1
        indicators of (model, outcome) per item: one pass per pair over the items cost 1 s for the
        1,225 pairs of 50 models at 200k items. float32 is exact for counts below 2^24."""
        codes = self.outcome_codes
        if codes is None:
            raise ValueError("pair tables need one outcome per present item (outcome_codes)")
        m, u = codes.shape
        indicators = np.zeros((m, 3, u), dtype="float32" if u < 2**24 else "float64")
        for k in range(3):
            indicators[:, k, :] = (codes == k) & self.present
        flat = indicators.reshape(3 * m, u)
        counts = np.rint(flat @ flat.T).astype("int64")  # [3i + p, 3j + q]
        return counts.reshape(m, 3, m, 3).transpose(0, 2, 1, 3).reshape(m, m, 9)

    def scores(self, ts: np.ndarray, credit: float) -> np.ndarray:
        """(M, T) each model's own S(t) over all its items (what the leaderboard ranks)."""
        v = _coefficients(ts, credit)
        totals = self.x.sum(axis=1)
        n = self.present.sum(axis=1).astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            return (totals @ v.T) / n[:, None]


_ONE_HOT = np.eye(3)


def _distinct_differences(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X's distinct rows and counts from the 3x3 table of (outcome A, outcome B) item counts.

    Cell (p, q) has X = e_p - e_q; the three diagonal cells share X = 0. The rows come sorted
    as ``np.unique(x, axis=0)`` sorts them, so the seeded bootstrap draws are the same as from
    the rows themselves.
    """
    merged: dict[tuple[float, ...], int] = {}
    for cell in np.flatnonzero(table):
        key = tuple(_ONE_HOT[cell // 3] - _ONE_HOT[cell % 3])
        merged[key] = merged.get(key, 0) + int(table[cell])
    keys = sorted(merged)
    return np.array(keys, dtype="float64").reshape(len(keys), 3), np.array([merged[k] for k in keys], dtype="int64")


def benchmark_items(items: pd.DataFrame, policy: Policy, cluster: str = "auto", keys: ItemKeys | None = None
                    ) -> tuple[list[BenchmarkItems], str]:
    """Dense per-benchmark arrays of scored items, and the SE method ('clt' or 'clustered:...').

    Every text column is factorised once for the whole table and each benchmark takes integer
    codes by row position: slicing the table per benchmark (a groupby) copied every Arrow string
    column, and a MultiIndex of (subset, item_id, attempt) built a Python tuple per row; together
    about 1.5 s of a million-item leaderboard. Items are numbered by first appearance within
    their benchmark (the bootstrap's seeded resamples depend on it), models by name, as before.
    ``keys``: the key codes of the table ``items`` is rows of, when the caller has them (a
    leaderboard shares them with its coverage column).
    """
    from rescore.score.clusters import cluster_series

    scored = scored_items(items, policy, ("benchmark", "model", "subset", "item_id", "attempt", "outcome", "cluster"))
    labels, method = cluster_series(scored, cluster) if not scored.empty else (None, "clt")
    bench_codes, bench_names = pd.factorize(scored["benchmark"], sort=True)  # NA benchmarks: -1, left out
    item_keys = _item_key_codes(scored, keys if keys is not None else ItemKeys(items))
    model = scored["model"]  # categories (a loaded table) factorise by code, sorted as the names sort
    model_codes, model_names = pd.factorize(model if isinstance(model.dtype, pd.CategoricalDtype)
                                            else model.astype("string"), sort=True)
    cluster_codes = None if labels is None else pd.factorize(labels.astype("string").to_numpy())[0]  # NA: -1
    outcomes = [scored[k].to_numpy() for k in ("c", "w", "a")]
    codes = _row_outcome_codes(*outcomes)
    out = []
    planned = 0
    for b, benchmark in enumerate(bench_names):
        rows = np.flatnonzero(bench_codes == b)
        item_code, uniques = pd.factorize(item_keys[rows])
        model_code, models = pd.factorize(model_codes[rows], sort=True)  # global codes sort as the names do
        m, u = len(models), len(uniques)
        planned += m * u * 25  # the dense (M, U, 3) outcomes and (M, U) presence, before allocating them
        if planned > memory_budget():
            raise UsageError(f"paired statistics would need about {planned / (1 << 30):.1f} GiB for the item arrays "
                             f"({m} models x {u} items on {benchmark}), over the {memory_budget() / (1 << 30):.1f} "
                             "GiB allowed; use --ties overlap (leaderboard) or fewer models, or raise "
                             "RESCORE_MAX_MEMORY_GB")
        # one flat cell number per row: assigning through a pair of index arrays took 1 s at 10M items
        cell = model_code.astype("int64") * u + item_code
        present = np.zeros(m * u, dtype=bool)
        present[cell] = True
        x = np.zeros((m * u, 3))
        for k, column in enumerate(outcomes):
            x[cell, k] = column[rows]
        cell_codes = None
        if codes is not None:
            cell_codes = np.zeros(m * u, dtype="int8")
            cell_codes[cell] = codes[rows]
            cell_codes = cell_codes.reshape(m, u)
        clusters = None
        if cluster_codes is not None:
            clusters = np.full(u, -1, dtype="int64")
            clusters[item_code] = _first_seen_codes(cluster_codes[rows])
        out.append(BenchmarkItems(str(benchmark), [str(model_names[k]) for k in models], present.reshape(m, u),
                                  x.reshape(m, u, 3), clusters, cell_codes))
    return out, method


def _row_outcome_codes(c: np.ndarray, w: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    """Each row's outcome as one int8 code (0 correct, 1 wrong, 2 abstain) when every row has
    exactly one of the three (what scored_items gives), else None: :attr:`BenchmarkItems.outcome_codes`
    then comes from the rows at no cost instead of from the dense (M, U, 3) array."""
    if not np.all(c + w + a == 1):
        return None
    return (w + 2 * a).astype("int8")


def _item_key_codes(scored: pd.DataFrame, keys: ItemKeys) -> np.ndarray:
    """One int64 code per distinct (subset, item_id, attempt) (a missing value is a value of its own).

    The columns' codes (``keys``: ``scored`` is rows of its table) are folded into one integer
    (:func:`rescore.read.schema.fold_key`: equal codes, equal keys); the callers number the items
    by first appearance per benchmark themselves, so the fold is not renumbered after every
    column (that cost 0.6 s at 10M items)."""
    columns = []
    for column in ("subset", "item_id", "attempt"):
        codes, labels = keys.codes(scored, column)
        columns.append((codes, len(labels)))
    key, _span = fold_key(columns)
    return np.zeros(len(scored), dtype="int64") if key is None else key


def _first_seen_codes(codes: np.ndarray) -> np.ndarray:
    """``codes`` renumbered by first appearance; -1 (no cluster) stays -1 and takes no number."""
    out = np.full(len(codes), -1, dtype="int64")
    known = codes >= 0
    out[known] = pd.factorize(codes[known])[0]
    return out


def _rank_desc(scores: np.ndarray) -> np.ndarray:
    """1 = best; equal scores share the best rank (as the leaderboard ranks)."""
    rounded = np.round(scores, 12)
    return pd.Series(rounded).rank(method="min", ascending=False, na_option="bottom").to_numpy().astype("int64")


def pairwise_tests(bench: BenchmarkItems, ts: np.ndarray, credit: float, correction: str = "holm",
                   each_pair: Callable[[int, int, PairData], None] | None = None,
                   pairs: list[tuple[int, int]] | None = None) -> pd.DataFrame:
    """Analytic paired tests for every pair (or the ``pairs`` given, i < j) at every t, with
    p-values adjusted per t across the pairs tested.

    ``each_pair(i, j, pair)`` sees each pair's data while it exists (the compare report
    bootstraps there); pairs are not kept, so memory does not grow with the number of pairs.
    """
    rows = []
    # every pair: their outcome tables in one product (a chosen few are counted one by one)
    tables = bench.pair_tables() if pairs is None and bench.outcome_codes is not None else None
    for i, j in (combinations(range(len(bench.models)), 2) if pairs is None else pairs):
        pair = bench.pair(i, j, tables)
        if each_pair is not None:
            each_pair(i, j, pair)
        diff, se = pair.diff_se(ts, credit)
        p = pair.p_values(ts, credit)
        for ti, t in enumerate(ts):
            rows.append((bench.benchmark, float(t), i, j, bench.models[i], bench.models[j], pair.n, pair.dropped_a,
                         pair.dropped_b, diff[ti], se[ti], p[ti]))
    table = pd.DataFrame(rows, columns=["benchmark", "t", "i", "j", "model_a", "model_b", "n", "dropped_a",
                                        "dropped_b", "diff", "se", "p"])
    table["p_holm"] = np.nan
    table["p_bh"] = np.nan
    for _, idx in table.groupby("t").indices.items():
        table.loc[table.index[idx], "p_holm"] = holm(table["p"].to_numpy()[idx])
        table.loc[table.index[idx], "p_bh"] = benjamini_hochberg(table["p"].to_numpy()[idx])
    table["p_adjusted"] = adjust(table["p"].to_numpy(), "none") if correction == "none" else (
        table["p_holm"] if correction == "holm" else table["p_bh"])
    return table


# Above this many models a benchmark's tie marks test only the pairs they show (each model against
# the one ranked above it and against the leader, at each t), Holm across those: all pairs of 1,000
# models are 499,500 tests per t (57 s, against 1.8 s for --ties overlap; issue 17). At or below it,
# every pair is tested as before, so small boards are unchanged.
ALL_PAIRS_MAX_MODELS = 100
PAIR_MODES = ("auto", "all", "adjacent")


def memory_budget() -> int:
    """Bytes an item-mode computation may plan to use: ``RESCORE_MAX_MEMORY_GB`` if set, else half
    of this machine's physical memory (8 GiB where it cannot be told)."""
    import os

    given = os.environ.get("RESCORE_MAX_MEMORY_GB")
    if given:
        try:
            return int(float(given) * (1 << 30))
        except ValueError:
            raise UsageError(f"RESCORE_MAX_MEMORY_GB must be a number of GiB, not {given!r}") from None
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


# bytes per stored result row (a dict of ~18 values, then a DataFrame row) and per (pair, t) test
_ROW_BYTES, _TEST_BYTES = 1200, 400


def estimate_memory(benches: list[BenchmarkItems], pairs: str, n_ts: int) -> int:
    """What compare will hold at its peak, roughly: the dense item arrays of every benchmark, and
    per compared pair one row per t in the result and in the tests table."""
    total = 0
    for bench in benches:
        m, u = bench.present.shape
        total += m * u * 25  # x (3 float64) and present (bool)
        if pairs == "all" or (pairs == "auto" and m <= ALL_PAIRS_MAX_MODELS):
            n_pairs = m * (m - 1) // 2
        elif pairs in ("auto", "adjacent"):
            n_pairs = 2 * m * n_ts
        else:
            n_pairs = 3 * m * n_ts  # a model against all others, and the adjacent pairs for the marks
        total += n_pairs * n_ts * (_ROW_BYTES + _TEST_BYTES)
    return total


def check_memory(benches: list[BenchmarkItems], pairs: str, n_ts: int) -> None:
    """Refuse (exit 2, with the estimate) a comparison that would not fit, before computing it."""
    need = estimate_memory(benches, pairs, n_ts)
    budget = memory_budget()
    if need > budget:
        widest = max(benches, key=lambda b: len(b.models))
        hint = " (try --pairs adjacent or --pairs MODEL)" if pairs == "all" else ""
        raise UsageError(f"compare would need about {need / (1 << 30):.1f} GiB ({len(widest.models)} models x "
                         f"{widest.present.shape[1]} items on {widest.benchmark}), over the "
                         f"{budget / (1 << 30):.1f} GiB allowed{hint}; RESCORE_MAX_MEMORY_GB raises the limit")


def adjacent_pairs(bench: BenchmarkItems, ts: np.ndarray, credit: float) -> list[tuple[int, int]]:
    """The pairs the tie marks read: at each t, every model with the one ranked just above it and
    with the leader (ranked as :func:`tie_marks` ranks), as sorted ``(i, j)`` with i < j."""
    scores = bench.scores(ts, credit)
    found: set[tuple[int, int]] = set()
    for ti in range(len(ts)):
        ranks = _rank_desc(scores[:, ti])
        order = sorted(range(len(bench.models)), key=lambda m: (ranks[m], bench.models[m]))
        for pos in range(1, len(order)):
            for other in (order[pos - 1], order[0]):
                a, b = sorted((other, order[pos]))
                if a != b:
                    found.add((a, b))
    return sorted(found)


def select_pairs(bench: BenchmarkItems, ts: np.ndarray, credit: float, mode: str) -> list[tuple[int, int]] | None:
    """The pairs ``--pairs`` asks for on one benchmark: None = all of them; ``adjacent`` = those
    of :func:`adjacent_pairs`; a model name = that model against every other; ``auto`` = all up to
    :data:`ALL_PAIRS_MAX_MODELS` models, else adjacent."""
    m = len(bench.models)
    if mode == "all" or (mode == "auto" and m <= ALL_PAIRS_MAX_MODELS):
        return None
    if mode in ("auto", "adjacent"):
        return adjacent_pairs(bench, ts, credit)
    if mode not in bench.models:
        return []
    k = bench.models.index(mode)
    return [(min(k, other), max(k, other)) for other in range(m) if other != k]


def tie_marks(bench: BenchmarkItems, tests: pd.DataFrame, ts: np.ndarray, credit: float, alpha: float
              ) -> pd.DataFrame:
    """Per (model, t): score, rank, and paired-test tie marks with #1 and with the neighbours."""
    scores = bench.scores(ts, credit)
    p_adj: dict[tuple[float, int, int], float] = {}
    for t, i, j, p in zip(tests["t"], tests["i"], tests["j"], tests["p_adjusted"], strict=True):
        p_adj[(t, i, j)] = p_adj[(t, j, i)] = float(p)

    shared = {(i, j): n for i, j, n in zip(tests["i"], tests["j"], tests["n"], strict=True)}

    def tied(t: float, i: int, j: int) -> bool:
        if shared.get((i, j), shared.get((j, i), 1)) == 0:
            return False  # no shared items: nothing was tested, so no "≈" either
        p = p_adj.get((t, i, j), float("nan"))
        return not (p < alpha)  # an untestable pair (NaN) is not called different

    rows = []
    for ti, t in enumerate(ts):
        t = float(t)
        ranks = _rank_desc(scores[:, ti])
        order = sorted(range(len(bench.models)), key=lambda m: (ranks[m], bench.models[m]))
        leader = order[0]
        for pos, m in enumerate(order):
            above = order[pos - 1] if pos > 0 else None
            below = order[pos + 1] if pos + 1 < len(order) else None
            rows.append({
                "benchmark": bench.benchmark, "t": t, "model": bench.models[m], "score": scores[m, ti],
                "rank": int(ranks[m]),
                "tied_with_first": pos == 0 or ranks[m] == ranks[leader] or tied(t, leader, m),
                "overlaps_above": above is not None and (ranks[m] == ranks[above] or tied(t, above, m)),
                "overlaps_below": below is not None and (ranks[m] == ranks[below] or tied(t, below, m)),
            })
    return pd.DataFrame(rows)


def significance_marks(items: pd.DataFrame, policy: Policy, thresholds: list[float], *, cluster: str = "auto",
                       level: float = 0.95, correction: str = "holm") -> pd.DataFrame:
    """Leaderboard tie marks from paired tests, for every benchmark with per-item data.

    Columns: benchmark, t, model, tied_with_first, overlaps_above, overlaps_below.
    """
    ts = np.asarray(sorted(set(thresholds)), dtype="float64")
    frames = []
    benches, _ = benchmark_items(items, policy, cluster)
    for bench in benches:
        tests = pairwise_tests(bench, ts, float(policy.idk_credit), correction)
        frames.append(tie_marks(bench, tests, ts, float(policy.idk_credit), 1.0 - level))
    cols = ["benchmark", "t", "model", "tied_with_first", "overlaps_above", "overlaps_below"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


# ---- the report ----------------------------------------------------------------------------------
ROW_COLUMNS = ["benchmark", "t", "penalty", "model_a", "model_b", "n", "score_a", "score_b", "diff", "se",
               "ci_low", "ci_high", "boot_se", "p", "p_holm", "p_bh", "p_adjusted", "significant"]
PAIR_COLUMNS = ["benchmark", "model_a", "model_b", "n", "dropped_a", "dropped_b", "dC", "dW", "dA",
                "crossover_t", "crossover_low", "crossover_high", "crossover_share", "leader_below_crossover"]
TAU_COLUMNS = ["benchmark", "t", "n_models", "kendall_tau_b", "tau_low", "tau_high", "discordant_pairs"]


def _tau_b_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall tau-b of each row of x against the same row of y (B, M) -> (B,)."""
    i, j = np.triu_indices(x.shape[1], 1)
    sx = np.sign(x[:, i] - x[:, j])
    sy = np.sign(y[:, i] - y[:, j])
    n1 = (sx != 0).sum(axis=1)
    n2 = (sy != 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n1 > 0) & (n2 > 0), (sx * sy).sum(axis=1) / np.sqrt(n1 * n2), np.nan)


def tau_bootstrap(bench: BenchmarkItems, ts: np.ndarray, credit: float, resamples: int, seed: int,
                  chunk: int = 100) -> np.ndarray:
    """(B, T) Kendall tau-b between the ranking at ts[0] and at each t, over joint item resamples.

    All models are resampled on the same items (whole clusters when clusters exist), so the
    interval reflects how stable the *re-ranking* is, not each model's own noise separately.
    """
    m = bench.present.shape[0]
    if bench.clusters is None:
        totals = bench.x  # (M, U, 3)
        sizes = bench.present.astype("float64")  # (M, U)
    else:
        codes, inverse = np.unique(bench.clusters, return_inverse=True)
        g = codes.size
        totals = np.zeros((m, g, 3))
        sizes = np.zeros((m, g))
        for k in range(m):
            np.add.at(totals[k], inverse, bench.x[k])
            np.add.at(sizes[k], inverse, bench.present[k].astype("float64"))
    units = totals.shape[1]
    # (U, M*3 + M) so each chunk's weighted sums and item counts are one BLAS product:
    # einsum("bu,muk->bmk") did not use BLAS and took most of a 50-model compare
    per_unit = np.concatenate([totals.transpose(1, 0, 2).reshape(units, m * 3), sizes.T], axis=1)
    per_unit = per_unit.astype(_exact_dtype(per_unit, units))
    v = _coefficients(ts, credit)
    tag = zlib.crc32(f"tau\x1f{bench.benchmark}".encode())
    rng = np.random.default_rng([int(seed), tag])
    out = np.empty((resamples, len(ts)))
    n_pairs = m * (m - 1) // 2
    if n_pairs * chunk > 5_000_000:  # many models: smaller chunks keep the (chunk x pairs) sign arrays small
        chunk = max(1, 5_000_000 // n_pairs)
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        idx = rng.integers(0, units, size=(b, units))
        idx += (np.arange(b) * units)[:, None]
        weights = np.bincount(idx.ravel(), minlength=b * units).reshape(b, units).astype(per_unit.dtype)
        weighted = (weights @ per_unit).astype("float64")
        sums = np.ascontiguousarray(weighted[:, :m * 3]).reshape(b, m, 3)
        n = weighted[:, m * 3:]  # (b, M)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = (sums @ v.T) / n[:, :, None]  # (b, M, T)
        for ti in range(len(ts)):
            out[start:start + b, ti] = _tau_b_rows(scores[:, :, 0], scores[:, :, ti])
    return out


def _exact_dtype(per_unit: np.ndarray, units: int) -> str:
    """float32 when every weighted sum of ``per_unit``'s columns over a resample of ``units`` draws
    is an integer below 2^24, so float32 products and sums are exact in any order (the same
    numbers as float64, at half the BLAS time and memory of a 10M-item compare); else float64."""
    if not per_unit.size:
        return "float64"
    exact = float(np.abs(per_unit).max()) * units < 2.0**24 and np.array_equal(per_unit, np.rint(per_unit))
    return "float32" if exact else "float64"


class _PairSummaries:
    """Per pair (called by :func:`pairwise_tests`): dC/dW/dA, crossover t* with its bootstrap
    interval, the bootstrap draws of the difference at every t, and a note on dropped items."""

    def __init__(self, benchmark: str, v: np.ndarray, credit: float, bootstrap: int, seed: int,
                 quantiles: tuple[float, float]) -> None:
        self.benchmark, self.v, self.credit = benchmark, v, credit
        self.bootstrap, self.seed, self.quantiles = bootstrap, seed, quantiles
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        # per pair: (T, 3) bootstrap percentile interval and SE at every t. The draws themselves
        # (B x T floats a pair) are dropped at once: kept for 499,500 pairs they were 20 GB (issue 17)
        self.intervals: dict[tuple[int, int], np.ndarray] = {}
        self.units: dict[tuple[int, int], int] = {}  # resampling units (clusters) per pair

    def __call__(self, i: int, j: int, pair: PairData) -> None:
        if pair.dropped_a or pair.dropped_b:
            self.notes.append(f"{self.benchmark}: {pair.model_a} vs {pair.model_b}: {pair.dropped_a} + "
                              f"{pair.dropped_b} items not shared by both were dropped ({pair.n} compared)")
        mean = pair.mean()
        if pair.clusters is not None and pair.n:
            self.units[(i, j)] = pair.clusters_count()
        row = {"benchmark": self.benchmark, "model_a": pair.model_a, "model_b": pair.model_b, "n": pair.n,
               "dropped_a": pair.dropped_a, "dropped_b": pair.dropped_b, "dC": mean[0], "dW": mean[1],
               "dA": mean[2], "crossover_low": np.nan, "crossover_high": np.nan, "crossover_share": np.nan}
        gain = mean[0] + self.credit * mean[2]
        row["crossover_t"] = float(crossover(gain, mean[1]))
        row["leader_below_crossover"] = (pair.model_a if gain > 0 else pair.model_b) if np.isfinite(
            row["crossover_t"]) else None
        if self.bootstrap and pair.n > 1:
            means, _ = pair.bootstrap(self.bootstrap, self.seed)
            draws = means @ self.v.T  # (B, T)
            low, high = np.quantile(draws, list(self.quantiles), axis=0)
            self.intervals[(i, j)] = np.column_stack([low, high, np.std(draws, axis=0, ddof=1)])
            t_star = crossover(means[:, 0] + self.credit * means[:, 2], means[:, 1])
            found = t_star[np.isfinite(t_star)]
            row["crossover_share"] = found.size / len(t_star)
            # an interval only for a crossover that happens: one built from the few resamples that
            # cross would describe a t* the data do not have (issue 20); the share stays, labelled
            if found.size and np.isfinite(row["crossover_t"]):
                row["crossover_low"], row["crossover_high"] = np.quantile(found, list(self.quantiles))
        self.rows.append(row)


# resamples beyond this change no reported digit and cost memory and time linearly (issue 17:
# --bootstrap 1e9 tried to allocate 37 GiB); docs/hostile.md lists the limits
MAX_BOOTSTRAP = 100_000


def check_compare_options(bootstrap: int, seed: int, pairs: str = "auto") -> None:
    """The values ``compare`` can check before reading anything (exit 2, one line)."""
    if bootstrap < 0 or int(bootstrap) != bootstrap or bootstrap > MAX_BOOTSTRAP:
        raise UsageError(f"--bootstrap must be an integer from 0 to {MAX_BOOTSTRAP:,}, not {bootstrap!r}")
    if int(seed) != seed or seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {seed!r}")
    if pairs not in PAIR_MODES and (not isinstance(pairs, str) or not pairs.strip()):
        raise UsageError(f"--pairs must be auto, all, adjacent or a model name, not {pairs!r}")


def compare_report(items: pd.DataFrame, thresholds: list[float], policy: Policy | None = None, *,
                   cluster: str = "auto", bootstrap: int = 1000, seed: int = 0, correction: str = "holm",
                   level: float = 0.95, pairs: str = "auto") -> dict[str, Any]:
    """Every pair of models per benchmark at every t, crossovers, tie groups and Kendall tau.

    ``pairs``: which pairs (``--pairs``): all, adjacent (each model with the one ranked above it
    and with the leader, at some t), a model name (it against every other), or auto (all up to
    :data:`ALL_PAIRS_MAX_MODELS` models, else adjacent). Holm/BH adjust across the pairs tested.

    Returns ``{"rows", "pairs", "ties", "tau"}`` DataFrames plus ``"method"`` (a dict for
    provenance) and ``"notes"`` (dropped-item warnings).
    """
    policy = policy or Policy()
    ts = np.asarray(check_thresholds([*thresholds, 0.0]), dtype="float64")
    requested = check_thresholds(thresholds)
    if correction not in CORRECTIONS:
        raise UsageError(f"--correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    check_compare_options(bootstrap, seed, pairs)
    if not (0.5 <= level < 1.0):
        raise UsageError(f"confidence level must lie in [0.5, 1), not {level!r}")
    credit = float(policy.idk_credit)
    alpha = 1.0 - level
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    benches, se_method = benchmark_items(items, policy, cluster)
    if pairs not in PAIR_MODES and not any(pairs in bench.models for bench in benches):
        raise UsageError(f"--pairs {pairs!r}: no such model among the item rows read")
    check_memory(benches, pairs, len(ts))
    rows, pair_rows, tie_frames, tau_rows, notes = [], [], [], [], []
    for bench in benches:
        if len(bench.models) < 2:
            notes.append(f"{bench.benchmark}: only one model ({bench.models[0]}); nothing to compare")
            continue
        chosen = select_pairs(bench, ts, credit, pairs)
        if chosen == [] and pairs not in PAIR_MODES:
            notes.append(f"{bench.benchmark}: {pairs} has no items here; no pairs compared")
            continue
        if chosen is not None and pairs == "auto":
            notes.append(f"{bench.benchmark}: {len(bench.models)} models, so only the {len(chosen)} pairs the tie "
                         f"marks need were compared (each model with the one ranked above it and with the leader); "
                         f"--pairs all for all {len(bench.models) * (len(bench.models) - 1) // 2}")
        collect = _PairSummaries(bench.benchmark, _coefficients(ts, credit), credit, int(bootstrap), seed,
                                 (lo_q, hi_q))
        tests = pairwise_tests(bench, ts, credit, correction, each_pair=collect, pairs=chosen)
        pair_rows.extend(collect.rows)
        notes.extend(collect.notes)
        boot = collect.intervals
        scores = bench.scores(ts, credit)
        nan3 = np.full(3, np.nan)
        for r in tests.itertuples(index=False):
            if r.t not in requested:
                continue
            ti = int(np.flatnonzero(ts == r.t)[0])
            found = boot.get((r.i, r.j))
            ci_low, ci_high, boot_se = (found[ti] if found is not None else nan3).tolist()
            g = collect.units.get((r.i, r.j))
            if g is not None:  # clusters: Student t on G - 1 df times the CR2 SE (issue 20), not a
                # percentile of G resampled clusters (a normal quantile's coverage, short with few G)
                from rescore.score.intervals import t_value

                ok = g >= 2 and np.isfinite(r.se) and r.se > 0
                half = t_value(level, g - 1) * r.se if ok else np.nan
                ci_low, ci_high = r.diff - half, r.diff + half
            rows.append({
                "benchmark": r.benchmark, "t": r.t, "penalty": float(penalty(r.t)), "model_a": r.model_a,
                "model_b": r.model_b, "n": r.n, "score_a": scores[r.i, ti], "score_b": scores[r.j, ti],
                "diff": r.diff, "se": r.se, "ci_low": ci_low, "ci_high": ci_high, "boot_se": boot_se,
                "p": r.p, "p_holm": r.p_holm, "p_bh": r.p_bh, "p_adjusted": r.p_adjusted,
                "significant": bool(r.p_adjusted < alpha),
            })
        if chosen is not None and pairs not in ("auto", "adjacent"):  # the marks need the adjacent pairs
            tests = pairwise_tests(bench, ts, credit, correction, pairs=adjacent_pairs(bench, ts, credit))
        marks = tie_marks(bench, tests, ts, credit, alpha)
        tie_frames.append(marks[marks["t"].isin(requested)])
        base = scores[:, 0]
        many = len(bench.models) > ALL_PAIRS_MAX_MODELS
        if bootstrap and many:
            notes.append(f"{bench.benchmark}: {len(bench.models)} models: no bootstrap interval for Kendall tau "
                         f"(it costs models² x resamples; computed up to {ALL_PAIRS_MAX_MODELS} models)")
        taus = tau_bootstrap(bench, ts, credit, int(bootstrap), seed) if bootstrap and not many else None
        upper_i, upper_j = np.triu_indices(len(bench.models), 1)  # every pair, in combinations() order
        for ti, t in enumerate(ts):
            if float(t) not in requested:
                continue
            here = scores[:, ti]
            flipped = np.sign(base[upper_i] - base[upper_j]) * np.sign(here[upper_i] - here[upper_j]) < 0
            flips = [f"{bench.models[i]} / {bench.models[j]}" for i, j in zip(upper_i[flipped].tolist(),
                                                                              upper_j[flipped].tolist(), strict=True)]
            low = high = np.nan
            if taus is not None and np.isfinite(taus[:, ti]).any():
                low, high = np.nanquantile(taus[:, ti], [lo_q, hi_q])
            tau_rows.append({"benchmark": bench.benchmark, "t": float(t), "n_models": len(bench.models),
                             "kendall_tau_b": kendall_tau_b(base, here), "tau_low": low, "tau_high": high,
                             "discordant_pairs": flips})
    method = {"test": paired_test_name(se_method), "se_method": se_method, "correction": correction,
              "alpha": round(alpha, 10), "bootstrap": int(bootstrap), "seed": int(seed),
              "bootstrap_unit": "cluster" if se_method.startswith("clustered") else "item",
              "interval": f"{level:.0%} t(G-1) x CR2 SE" if se_method.startswith("clustered")
              else f"{level:.0%} percentile"}
    if pairs != "auto" or any(len(b.models) > ALL_PAIRS_MAX_MODELS for b in benches):
        method["pairs"] = pairs
    return {
        "rows": pd.DataFrame(rows, columns=ROW_COLUMNS).sort_values(["benchmark", "t", "model_a", "model_b"],
                                                                   kind="stable").reset_index(drop=True),
        "pairs": pd.DataFrame(pair_rows, columns=PAIR_COLUMNS),
        "ties": pd.concat(tie_frames, ignore_index=True) if tie_frames else pd.DataFrame(
            columns=["benchmark", "t", "model", "score", "rank", "tied_with_first", "overlaps_above",
                     "overlaps_below"]),
        "tau": pd.DataFrame(tau_rows, columns=TAU_COLUMNS),
        "method": method,
        "notes": notes,
    }


def build_report(data: Any, thresholds: list[float] | None = None, *, cluster: str = "auto",
                 bootstrap: int = 1000, seed: int = 0, correction: str = "holm", level: float = 0.95,
                 partial: str = "wrong", invalid: str = "wrong", idk_credit: float = 0.0, pairs: str = "auto",
                 **load_options: Any) -> StatsReport:
    """``rescore compare``: every pair per benchmark and t, crossovers, tie groups, Kendall tau."""
    from rescore.config import default_thresholds

    data, unscored = without_unscored(as_dataset(data, **load_options))
    policy = Policy(partial=partial, invalid=invalid, idk_credit=idk_credit)
    ts = check_thresholds(thresholds if thresholds is not None else default_thresholds())
    result = compare_report(data.items, ts, policy, cluster=cluster, bootstrap=bootstrap, seed=seed,
                            correction=correction, level=level, pairs=pairs)
    omitted = omitted_frame(unscored + counts_only(data))
    provenance = base_provenance(
        data, policy, thresholds=[{"t": t, "penalty": float(penalty(t))} for t in ts], method=result["method"],
        alignment="(benchmark, subset, item_id, attempt); items not shared by a pair are dropped from it",
        crossover="t* = k*/(1+k*), k* = (dC + idk_credit*dA)/dW when positive; dC, dW, dA = differences of "
                  "per-item-count means; interval = bootstrap percentile over resamples with a crossover "
                  "(crossover_share of them)",
        caveat="a post-hoc rescore keeps each run's fixed abstentions",
    )
    return StatsReport("compare", {"rows": result["rows"], "pairs": result["pairs"], "ties": result["ties"],
                                   "tau": result["tau"], "omitted": omitted},
                       provenance, list(data.notes) + result["notes"])


PAIRED_TIES = ("paired test (two-sided normal on the paired SE, exact sign-flip when few items differ; "
               "Holm across the pairs of each benchmark and t)")


def paired_test_name(se_method: str) -> str:
    """What the paired test is, for provenance (issue 20)."""
    if se_method.startswith("clustered"):
        return (f"two-sided Student t (G-1 df) on the CR2 paired SE; exact sign-flip on the differing clusters "
                f"when fewer than {EXACT_BELOW} differ or all differences are equal")
    return (f"two-sided normal on the paired SE; exact sign-flip on the differing items when fewer than "
            f"{EXACT_BELOW} differ or all differences are equal")


#: the p-value stand-in for a pair of models that share no items (no paired test exists)
NO_SHARED = -1.0
NO_SHARED_PHRASE = "no ≈ between models that share no items (nothing to pair)"


def _shown_pairs(part: pd.DataFrame, bench: BenchmarkItems) -> list[tuple[int, int]]:
    """The (i, j) pairs one benchmark's marks read: each row with the row above it and with the
    leader, at every t (the table is sorted by rank within each t)."""
    index = {name: k for k, name in enumerate(bench.models)}
    found: set[tuple[int, int]] = set()
    for _, rows in part.groupby("t", sort=False):
        codes = [index.get(str(m)) for m in rows["model"]]
        for pos in range(1, len(codes)):
            for other in (codes[pos - 1], codes[0]):
                if other is not None and codes[pos] is not None and other != codes[pos]:
                    found.add((min(other, codes[pos]), max(other, codes[pos])))
    return sorted(found)


def paired_tie_marks(table: pd.DataFrame, items: pd.DataFrame, policy: Policy, *, cluster: str = "auto",
                     level: float = 0.95, keys: ItemKeys | None = None) -> tuple[pd.DataFrame, str]:
    """Replace the leaderboard's interval-overlap tie marks by paired tests where per-item data exists.

    ``table`` is the leaderboard's rows sorted by (benchmark, t, rank, model) with the overlap
    marks already set. A mark between two models with item rows becomes "not significantly
    different" (Holm-adjusted p >= 1 - level); a pair involving a counts-only model keeps its
    interval-overlap mark. Returns the table and a description of the method for provenance.
    ``keys``: as :func:`benchmark_items` takes them.
    """
    alpha = 1.0 - level
    table = table.copy()
    p_adj: dict[tuple[str, float, str, str], float] = {}
    benches, se_method = benchmark_items(items, policy, cluster, keys)
    shown_only = False
    for bench in benches:
        ts = np.asarray(sorted(set(table.loc[table["benchmark"] == bench.benchmark, "t"])), dtype="float64")
        if len(bench.models) < 2 or not ts.size:
            continue
        chosen = None
        if len(bench.models) > ALL_PAIRS_MAX_MODELS:  # test only the pairs the marks show (issue 17)
            chosen, shown_only = _shown_pairs(table[table["benchmark"] == bench.benchmark], bench), True
        tests = pairwise_tests(bench, ts, float(policy.idk_credit), "holm", pairs=chosen)
        for t, a, b, p, n in zip(tests["t"], tests["model_a"], tests["model_b"], tests["p_holm"], tests["n"],
                                 strict=True):
            # a pair sharing no items has nothing to test: NO_SHARED, never "not significantly different"
            value = float(p) if n > 0 else NO_SHARED
            p_adj[(bench.benchmark, float(t), a, b)] = p_adj[(bench.benchmark, float(t), b, a)] = value
    if not p_adj:
        return table, "interval overlap"

    fell_back: list[bool] = []
    unpaired: list[bool] = []

    def mark(benchmark: str, t: float, a: str, b: str, fallback: bool) -> bool:
        p = p_adj.get((benchmark, t, a, b))
        if p is None:
            fell_back.append(True)
            return fallback
        if p == NO_SHARED:
            unpaired.append(True)
            return False
        return not (p < alpha)

    above = table["overlaps_above"].to_numpy(dtype=bool).copy()
    below = table["overlaps_below"].to_numpy(dtype=bool).copy()
    first = table["tied_with_first"].to_numpy(dtype=bool).copy()
    ranks = table["rank"].to_numpy()
    models = table["model"].astype(str).to_numpy()
    for (benchmark, t), idx in table.groupby(["benchmark", "t"], sort=False).indices.items():
        for pos, row in enumerate(idx):
            if pos > 0:
                prev = idx[pos - 1]
                above[row] = ranks[row] == ranks[prev] or mark(benchmark, float(t), models[prev], models[row],
                                                               bool(above[row]))
                below[prev] = ranks[row] == ranks[prev] or mark(benchmark, float(t), models[prev], models[row],
                                                                bool(below[prev]))
                lead = idx[0]
                first[row] = ranks[row] == ranks[lead] or mark(benchmark, float(t), models[lead], models[row],
                                                               bool(first[row]))
    table["overlaps_above"], table["overlaps_below"], table["tied_with_first"] = above, below, first
    method = f"{PAIRED_TIES}, alpha {alpha:g}, SE {se_method}"
    if shown_only:
        method += (f"; on benchmarks of more than {ALL_PAIRS_MAX_MODELS} models only the pairs marked (each model "
                   "with the one ranked above it and with the leader) are tested, Holm across those")
    if fell_back:
        method += "; interval overlap for pairs without per-item data"
    if unpaired:
        method += f"; {NO_SHARED_PHRASE}"
    return table, method

