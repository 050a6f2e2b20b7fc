"""The fast paths of ``rescore compare`` give exactly what the plain numpy forms give.

``distinct_rows`` replaces ``np.unique(axis=0)`` in the pair bootstrap and a BLAS product
replaces an einsum in the tau bootstrap; both only change speed (a 50-model compare went from
minutes to seconds), so they are checked against the forms they replaced, value for value.
"""

from __future__ import annotations

import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rescore.compare import BenchmarkItems, _coefficients, _tau_b_rows, distinct_rows, tau_bootstrap


@settings(max_examples=200)
@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 60), st.integers(1, 5)), elements=st.integers(-40, 40)))
def test_distinct_rows_is_np_unique_on_integer_rows(rows: np.ndarray) -> None:
    kinds, counts = distinct_rows(rows.astype("float64"))
    want_kinds, want_counts = np.unique(rows.astype("float64"), axis=0, return_counts=True)
    assert np.array_equal(kinds, want_kinds) and np.array_equal(counts, want_counts)


@settings(max_examples=100)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)),
                  elements=st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0**40, float("nan")])))
def test_distinct_rows_falls_back_for_fractions_nan_and_huge_values(rows: np.ndarray) -> None:
    kinds, counts = distinct_rows(rows)
    want_kinds, want_counts = np.unique(rows, axis=0, return_counts=True)
    assert np.array_equal(kinds, want_kinds, equal_nan=True) and np.array_equal(counts, want_counts)


def _einsum_tau_bootstrap(bench: BenchmarkItems, ts: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """The previous implementation (unclustered), kept here as the reference."""
    totals, sizes = bench.x, bench.present.astype("float64")
    units = totals.shape[1]
    v = _coefficients(ts, 0.0)
    rng = np.random.default_rng([int(seed), zlib.crc32(f"tau\x1f{bench.benchmark}".encode())])
    out = np.empty((resamples, len(ts)))
    for start in range(0, resamples, 100):
        b = min(100, resamples - start)
        idx = rng.integers(0, units, size=(b, units))
        flat = (idx + (np.arange(b) * units)[:, None]).ravel()
        weights = np.bincount(flat, minlength=b * units).reshape(b, units).astype("float64")
        sums = np.einsum("bu,muk->bmk", weights, totals)
        n = weights @ sizes.T
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = (sums @ v.T) / n[:, :, None]
        for ti in range(len(ts)):
            out[start:start + b, ti] = _tau_b_rows(scores[:, :, 0], scores[:, :, ti])
    return out


def test_tau_bootstrap_equals_the_einsum_form() -> None:
    rng = np.random.default_rng(11)
    models, items = 6, 400
    outcome = rng.integers(0, 3, size=(models, items))  # 0 correct, 1 wrong, 2 abstain
    present = rng.random((models, items)) > 0.1
    x = np.zeros((models, items, 3))
    for k in range(3):
        x[:, :, k] = (outcome == k) & present
    bench = BenchmarkItems("b", [f"m{i}" for i in range(models)], present, x, None)
    ts = np.array([0.0, 0.5, 0.9])
    got = tau_bootstrap(bench, ts, 0.0, 250, 3)
    want = _einsum_tau_bootstrap(bench, ts, 250, 3)
    assert got.shape == (250, 3)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.isfinite(got[:, 1]).all() and not np.all(got[:, 1] == 1.0)  # the draws do vary
