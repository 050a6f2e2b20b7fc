"""The scoring rule, its summary numbers and its standard errors: hand cases, properties, simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rescore
from rescore.errors import UsageError
from rescore.score.intervals import clt_se, clustered_se, z_value
from rescore.score.rule import (
    Policy,
    apply_policy,
    break_even,
    check_threshold,
    check_thresholds,
    penalty,
    score,
    summary_metrics,
)

counts = st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)).filter(lambda x: sum(x) > 1)
thresholds = st.floats(0.0, 0.99, allow_nan=False)


def per_item(c: int, w: int, a: int, t: float, credit: float = 0.0) -> np.ndarray:
    return np.array([1.0] * c + [-penalty(t)] * w + [credit] * a)


def test_penalties_match_the_paper() -> None:
    assert penalty(0.5) == pytest.approx(1)
    assert penalty(0.75) == pytest.approx(3)
    assert penalty(0.9) == pytest.approx(9)
    assert penalty(0.0) == 0


def test_hand_computed_score_and_se() -> None:
    # 6 correct, 3 wrong, 1 abstain at t = 0.75: (6 - 3*3) / 10 = -0.3
    assert score(6, 3, 1, 10, 0.75) == pytest.approx(-0.3)
    # per-item values 1 x6, -3 x3, 0 x1: ss = 6*1.3^2 + 3*2.7^2 + 0.3^2 = 32.1; var = 32.1/9
    assert clt_se(6, 3, 1, 0.75) == pytest.approx(np.sqrt(32.1 / 9 / 10))
    result = rescore.score_counts(n_correct=6, n_wrong=3, n_abstain=1, t=0.75, interval="clt")
    assert result["score"] == pytest.approx(-0.3)
    assert result["ci_low"] == pytest.approx(-0.3 - 1.959964 * np.sqrt(32.1 / 90), rel=1e-5)
    assert result["method"] == "clt"
    assert rescore.score_counts(n_correct=6, n_wrong=3, n_abstain=1, t=0.75)["method"] == "score"


def test_idk_credit_counts_abstentions() -> None:
    assert score(6, 3, 1, 10, 0.5, idk_credit=0.5) == pytest.approx((6 - 3 + 0.5) / 10)


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan"), "x"])
def test_thresholds_outside_unit_interval_are_usage_errors(bad: object) -> None:
    with pytest.raises(UsageError):
        check_threshold(bad)  # type: ignore[arg-type]


def test_thresholds_are_sorted_and_deduplicated() -> None:
    assert check_thresholds([0.9, 0, 0.5, 0.9]) == [0.0, 0.5, 0.9]
    with pytest.raises(UsageError):
        check_thresholds([])


@given(counts)
def test_score_at_zero_is_accuracy(cwa: tuple[int, int, int]) -> None:
    c, w, a = cwa
    assert score(c, w, a, c + w + a, 0.0) == pytest.approx(c / (c + w + a))


@given(counts, thresholds)
def test_abstaining_never_changes_s0_and_never_lowers_s(cwa: tuple[int, int, int], t: float) -> None:
    c, w, a = cwa
    if w == 0:
        return
    n = c + w + a
    # one wrong answer becomes "I don't know"
    assert score(c, w - 1, a + 1, n, 0.0) == pytest.approx(score(c, w, a, n, 0.0))
    assert score(c, w - 1, a + 1, n, t) >= score(c, w, a, n, t) - 1e-12


@given(counts, thresholds, thresholds)
def test_score_is_non_increasing_in_t(cwa: tuple[int, int, int], t1: float, t2: float) -> None:
    c, w, a = cwa
    lo, hi = sorted((t1, t2))
    n = c + w + a
    assert score(c, w, a, n, hi) <= score(c, w, a, n, lo) + 1e-9
    if w > 0 and hi > lo + 1e-6:
        assert score(c, w, a, n, hi) < score(c, w, a, n, lo)


@given(counts, thresholds)
def test_break_even_is_where_the_score_changes_sign(cwa: tuple[int, int, int], t: float) -> None:
    c, w, a = cwa
    be = float(break_even(c, w, a))
    s = float(score(c, w, a, c + w + a, t))
    if c == 0 and w == 0:
        assert np.isnan(be)
    elif abs(t - be) > 1e-9:
        assert (s > 0) == (t < be)


@given(counts)
def test_omniscience_index_is_100_s_half(cwa: tuple[int, int, int]) -> None:
    c, w, a = cwa
    n = c + w + a
    omniscience = 100 * (c - w) / n  # +1 / -1 / 0
    assert 100 * score(c, w, a, n, 0.5) == pytest.approx(omniscience)


@given(counts, thresholds)
@settings(max_examples=60)
def test_clt_se_matches_the_per_item_formula(cwa: tuple[int, int, int], t: float) -> None:
    c, w, a = cwa
    x = per_item(c, w, a, t)
    assert clt_se(c, w, a, t) == pytest.approx(x.std(ddof=1) / np.sqrt(len(x)), rel=1e-9, abs=1e-12)


def test_f_score_and_attempted_accuracy_match_simpleqa() -> None:
    m = summary_metrics(np.array([50.0]), np.array([30.0]), np.array([20.0]), np.array([100.0]))
    assert m["accuracy_on_attempted"][0] == pytest.approx(50 / 80)
    assert m["f_score"][0] == pytest.approx(2 * 0.5 * 0.625 / (0.5 + 0.625))
    assert m["error_rate"][0] == pytest.approx(0.3)
    assert m["abstention_rate"][0] == pytest.approx(0.2)
    assert m["break_even_t"][0] == pytest.approx(0.625)


def test_policies_move_counts_as_documented() -> None:
    raw = pd.DataFrame({"n_correct": [5], "n_wrong": [3], "n_abstain": [1], "n_partial": [2], "n_invalid": [4]})
    default = apply_policy(raw, Policy()).iloc[0]
    assert (default.C, default.W, default.A, default.n, default.dropped) == (5, 9, 1, 15, 0)
    lenient = apply_policy(raw, Policy(partial="correct", invalid="abstain")).iloc[0]
    assert (lenient.C, lenient.W, lenient.A, lenient.n) == (7, 3, 5, 15)
    dropped = apply_policy(raw, Policy(partial="abstain", invalid="drop")).iloc[0]
    assert (dropped.C, dropped.W, dropped.A, dropped.n, dropped.dropped) == (5, 3, 3, 11, 4)
    with pytest.raises(UsageError):
        Policy(partial="maybe")
    with pytest.raises(UsageError):
        Policy(invalid="correct")
    with pytest.raises(UsageError):
        Policy(idk_credit=2)


def test_clustered_se_with_singleton_clusters_equals_clt() -> None:
    rng = np.random.default_rng(1)
    outcome = rng.choice(3, size=60, p=[0.5, 0.3, 0.2])
    frame = pd.DataFrame({"C": (outcome == 0).astype(int), "W": (outcome == 1).astype(int),
                          "A": (outcome == 2).astype(int)})
    c, w, a = frame.sum()
    for t in (0.0, 0.5, 0.9):
        assert clustered_se(frame, t) == pytest.approx(float(clt_se(c, w, a, t)), rel=1e-9)


def test_clustered_se_matches_brute_force_residual_sums() -> None:
    rng = np.random.default_rng(2)
    clusters = rng.integers(0, 8, size=200)
    outcome = rng.choice(3, size=200, p=[0.6, 0.3, 0.1])
    t = 0.75
    x = np.where(outcome == 0, 1.0, np.where(outcome == 1, -3.0, 0.0))
    mean = x.mean()
    sums = np.array([np.sum(x[clusters == g] - mean) for g in range(8)])
    expected = np.sqrt(8 / 7 * np.sum(sums**2) / len(x) ** 2)
    frame = pd.DataFrame({"g": clusters, "C": outcome == 0, "W": outcome == 1, "A": outcome == 2}).groupby("g").sum()
    assert clustered_se(frame, t) == pytest.approx(expected, rel=1e-12)


def test_interval_coverage_is_near_nominal_by_simulation() -> None:
    """Seeded: the 95% interval covers the true mean score in roughly 95% of draws."""
    rng = np.random.default_rng(12345)
    p = np.array([0.55, 0.3, 0.15])
    n, draws, z = 400, 4000, z_value(0.95)
    for t in (0.0, 0.75):
        k = penalty(t)
        truth = p[0] - k * p[1]
        c, w, a = rng.multinomial(n, p, size=draws).T
        s = score(c, w, a, n, t)
        se = clt_se(c, w, a, t)
        covered = np.mean((s - z * se <= truth) & (truth <= s + z * se))
        assert 0.935 <= covered <= 0.962, (t, covered)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b1", "b2"]), st.sampled_from([0.0, 0.5, 0.9]),
                          st.floats(-3, 1, allow_nan=False),
                          st.floats(0, 0.5, allow_nan=False) | st.just(float("nan"))),
                min_size=1, max_size=40))
def test_overlap_marks_match_a_row_by_row_reference(rows: list[tuple[str, float, float, float]]) -> None:
    """board._overlap_marks' vectorised marks equal the plain loop over each (benchmark, t) group."""
    from rescore.score.leaderboard import _overlap_marks

    frame = pd.DataFrame([{"benchmark": b, "t": t, "score": s, "ci_low": s - h, "ci_high": s + h}
                          for b, t, s, h in rows])
    frame = frame.sort_values(["benchmark", "t", "score"], ascending=[True, True, False], kind="stable")
    cell = frame.groupby(["benchmark", "t"], sort=False).ngroup().to_numpy()
    above, below, first = _overlap_marks(cell, frame["ci_low"].to_numpy(), frame["ci_high"].to_numpy())
    for idx in frame.reset_index(drop=True).groupby(["benchmark", "t"], sort=False).indices.values():
        low, high = frame["ci_low"].to_numpy()[idx], frame["ci_high"].to_numpy()[idx]
        for j, i in enumerate(idx):
            assert above[i] == (j > 0 and bool(high[j] >= low[j - 1]))
            assert below[i] == (j + 1 < len(idx) and bool(low[j] <= high[j + 1]))
            assert first[i] == (j == 0 or bool(high[j] >= low[0]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0.1, -0.3, 0.0, -0.0, 1 / 3, 0.2 + 1e-13, float("nan")])
                          | st.floats(-3, 1, allow_nan=False)), min_size=1, max_size=40))
def test_rank_in_cells_is_pandas_min_rank(rows: list[tuple[int, float]]) -> None:
    """board._rank_in_cells ranks as the groupby-rank it replaced: min, descending, NaN last."""
    from rescore.score.leaderboard import _rank_in_cells

    cell = np.array([c for c, _ in rows])
    values = np.round(np.array([v for _, v in rows], dtype="float64"), 12)
    expected = pd.Series(values).groupby(cell).rank(method="min", ascending=False, na_option="bottom")
    assert _rank_in_cells(values, cell).tolist() == expected.astype("int64").tolist()
