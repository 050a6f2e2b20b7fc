"""Calibration, selective prediction, the calibrated-abstention policy and paired comparisons (issue 4.8).

Hand-computed numbers on tiny tables, brute-force cross-checks (hypothesis), and seeded
simulations for the statistical properties (calibrated policy clears t; paired SE matches the
bootstrap; identical models are rarely called different).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rescore
from rescore.errors import UsageError
from rescore.score.calibration import bin_index, brier, calibration_report, ece, reliability_table
from rescore.score.compare import (
    PairData,
    benjamini_hochberg,
    compare_report,
    crossover,
    holm,
    kendall_tau_b,
    p_two_sided,
)
from rescore.score.item_scores import _KINDS, confidence_problem, outcome_kinds, scored_items
from rescore.score.policies import behavioural_audit, policy_curve, policy_report, wilson_bounds
from rescore.score.rule import Policy, penalty
from rescore.score.selective import (
    aurc,
    aurc_optimal,
    coverage_at_risk,
    risk_at_coverage,
    risk_coverage,
    selective_report,
)

from .conftest import SAMPLE

MINI = [SAMPLE / "mmlu_pro_mini", SAMPLE / "simpleqa_mini"]  # mmlu_pro with confidences, simpleqa without


def items_frame(rows: list[tuple], benchmark: str = "b") -> pd.DataFrame:
    """(model, item_id, outcome, confidence[, subset, attempt]) tuples -> a minimal item table."""
    out = []
    for r in rows:
        model, item, outcome, conf = r[:4]
        subset = r[4] if len(r) > 4 else ""
        attempt = r[5] if len(r) > 5 else 0
        out.append({"model": model, "benchmark": benchmark, "subset": subset, "item_id": str(item),
                    "attempt": attempt, "outcome": outcome, "confidence": conf})
    frame = pd.DataFrame(out)
    frame["confidence"] = frame["confidence"].astype("float64")
    return frame


# ---- calibration ------------------------------------------------------------------------------
def test_ece_brier_by_hand() -> None:
    conf = np.array([0.1, 0.2, 0.3, 0.9])
    correct = np.array([0, 0, 1, 1])
    # width, 2 bins: {.1,.2,.3} mean .2 acc 1/3 (weight 3/4); {.9} acc 1 (weight 1/4)
    assert ece(conf, correct, 2, "width") == pytest.approx(0.75 * (1 / 3 - 0.2) + 0.25 * 0.1)
    # mass, 2 bins: {.1,.2} mean .15 acc 0; {.3,.9} mean .6 acc 1
    assert ece(conf, correct, 2, "mass") == pytest.approx(0.5 * 0.15 + 0.5 * 0.4)
    assert brier(conf, correct) == pytest.approx((0.01 + 0.04 + 0.49 + 0.01) / 4)
    table = reliability_table(conf, correct, 2, "width")
    assert table["count"].tolist() == [3, 1]
    assert table["lower"].tolist() == [0.0, 0.5] and table["upper"].tolist() == [0.5, 1.0]
    assert table["accuracy"].tolist() == pytest.approx([1 / 3, 1.0])


def test_binning_edges_and_ties() -> None:
    assert bin_index(np.array([0.0, 0.1, 0.999, 1.0]), 10, "width").tolist() == [0, 1, 9, 9]
    # tied confidences share a bin, whatever their order in the input
    assert bin_index(np.array([0.5, 0.9, 0.5, 0.5]), 2, "mass").tolist() == [0, 1, 0, 0]
    table = reliability_table(np.array([0.5, 0.5, 0.5, 0.9]), np.array([1, 0, 0, 1]), 2, "mass")
    assert table["count"].tolist() == [3, 1] and table["lower"].tolist() == [0.5, 0.9]
    assert ece(np.array([0.8] * 5), np.array([1, 1, 1, 1, 0]), 10) == pytest.approx(0.0)
    with pytest.raises(UsageError, match="--bins"):
        ece(np.array([0.5]), np.array([1]), 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ece(np.array([1.5]), np.array([1]))


def test_calibration_on_sample_data_exact() -> None:
    data = rescore.load(MINI)
    report = calibration_report(data.items, bins=10)
    summary = report["summary"].set_index("model")
    assert summary.index.tolist() == ["acme/bold-70b", "acme/careful-70b", "nova/guess-8b", "nova/humble-8b",
                                      "orbit/mid-32b"]
    assert summary["n"].tolist() == [280, 181, 280, 93, 247]
    bold = summary.loc["acme/bold-70b"]
    assert bold["mean_confidence"] == pytest.approx(0.747679, abs=1e-6)
    assert bold["accuracy"] == pytest.approx(159 / 280)
    assert bold["overconfidence"] == pytest.approx(0.179821, abs=1e-6)
    assert bold["ece_width"] == pytest.approx(0.184107, abs=1e-6)
    assert bold["ece_mass"] == pytest.approx(0.188536, abs=1e-6)
    assert bold["brier"] == pytest.approx(0.219319, abs=1e-6)
    assert summary.loc["acme/careful-70b", "overconfidence"] < 0  # under-confident
    # simpleqa has no confidences: all five omitted with the reason, no warnings
    omitted = report["omitted"]
    assert len(omitted) == 5 and set(omitted["benchmark"]) == {"simpleqa"}
    assert set(omitted["reason"]) == {"no per-item confidence"} and report["notes"] == []
    rel = report["reliability"]
    totals = rel.groupby(["binning", "model"])["count"].sum()
    assert totals.loc["width"].tolist() == totals.loc["mass"].tolist() == [280, 181, 280, 93, 247]
    assert len(rel[(rel["model"] == "acme/bold-70b") & (rel["binning"] == "mass")]) == 10


@pytest.mark.parametrize(
    ("conf", "reason"),
    [
        ([0.7, 0.7, 0.7], "confidence is constant (0.7) on all 3 answered items"),
        ([0.7, np.nan, 0.2], "1 of 3 answered items lack a confidence"),
        ([0.7, -0.1, 1.2], "2 of 3 confidences outside [0, 1]"),
        ([np.nan, np.nan, np.nan], "no per-item confidence"),
    ],
)
def test_bad_confidences_are_omitted_with_reason(conf: list[float], reason: str) -> None:
    assert confidence_problem(np.array(conf)) == reason
    items = items_frame([("m", i, o, c) for i, (o, c) in enumerate(zip(["correct", "wrong", "correct"], conf,
                                                                       strict=True))]
                        + [("ok", i, o, c) for i, (o, c) in enumerate(zip(["correct", "wrong", "correct"],
                                                                          [0.9, 0.2, 0.6], strict=True))])
    for report in (calibration_report(items), selective_report(items), policy_report(items, [0.5])):
        assert report["omitted"].to_dict("records") == [{"benchmark": "b", "model": "m", "reason": reason}]
        if reason != "no per-item confidence":
            assert report["notes"] == [f"m on b: {reason}; confidence metrics omitted"]
    assert calibration_report(items)["summary"]["model"].tolist() == ["ok"]


def test_scored_items_follow_the_policy() -> None:
    items = items_frame([("m", 1, "partial", 0.5), ("m", 2, "invalid", 0.5), ("m", 3, "abstain", np.nan)])
    default = scored_items(items, Policy())
    assert default[["c", "w", "a"]].to_numpy().tolist() == [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
    other = scored_items(items, Policy(partial="correct", invalid="drop"))
    assert other[["c", "w", "a"]].to_numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    assert scored_items(items, Policy(invalid="abstain"))["a"].tolist() == [0, 1, 1]


# ---- selective prediction --------------------------------------------------------------------
def test_aurc_and_risk_coverage_by_hand() -> None:
    assert aurc(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1])) == pytest.approx((0 + 1 / 2 + 1 / 3) / 3)
    assert risk_at_coverage(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1]), (1 / 3, 2 / 3, 1.0, 0.01)).tolist() == \
        pytest.approx([0.0, 0.5, 1 / 3, 0.0])
    # a tie group {0.9, 0.9} with one error: expected risk 1/2 at k=1 and k=2
    conf, correct = np.array([0.9, 0.9, 0.5]), np.array([1, 0, 0])
    assert aurc(conf, correct) == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert aurc(conf[::-1].copy(), correct[::-1].copy()) == pytest.approx(aurc(conf, correct))
    assert aurc_optimal(correct) == pytest.approx((0 + 1 / 2 + 2 / 3) / 3)
    curve = risk_coverage(conf, correct)
    assert curve.to_dict("list") == {"threshold": [0.9, 0.5], "n_answered": [2, 3],
                                     "coverage": [2 / 3, 1.0], "risk": [0.5, 2 / 3]}
    assert coverage_at_risk(conf, correct, 0.5) == {"coverage": 2 / 3, "threshold": 0.9, "risk": 0.5}
    assert coverage_at_risk(conf, correct, 0.4)["coverage"] == 0.0
    with pytest.raises(UsageError, match="--max-risk"):
        coverage_at_risk(conf, correct, 1.5)


def test_selective_on_sample_data() -> None:
    report = selective_report(rescore.load(MINI).items, max_risk=0.2)
    bold = report["summary"].set_index("model").loc["acme/bold-70b"]
    assert bold["aurc"] == pytest.approx(0.203186, abs=1e-6)
    assert bold["coverage_at_risk"] == pytest.approx(151 / 280)
    assert bold["threshold_at_risk"] == pytest.approx(0.76)
    grid = report["grid"].set_index("model")
    assert grid.loc["acme/bold-70b", "risk@1"] == pytest.approx(121 / 280)
    assert grid.loc["acme/bold-70b", "risk@0.5"] == pytest.approx(0.181, abs=5e-4)
    humble = report["summary"].set_index("model").loc["nova/humble-8b"]
    assert humble["n"] == 93 and humble["answered_share"] == pytest.approx(93 / 280)


# ---- the calibrated-abstention policy --------------------------------------------------------
def brute_policy(conf: np.ndarray, c: np.ndarray, w: np.ndarray, t: float, credit: float) -> tuple[float, float]:
    n = conf.size
    k = t / (1 - t)
    realised = expected = 0.0
    for i in range(n):
        if c[i] + w[i] > 0 and conf[i] > t:
            realised += 1.0 if c[i] else -k
            expected += conf[i] - (1 - conf[i]) * k
        else:
            realised += credit
            expected += credit
    return realised / n, expected / n


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([0.0, 0.25, 0.5, 0.55, 0.75, 0.9, 1.0]) | st.floats(0, 1),
                       st.sampled_from(["c", "w", "a"])), min_size=1, max_size=40),
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 0.9]) | st.floats(0, 0.99), min_size=1, max_size=6),
    st.sampled_from([0.0, 0.3]),
)
def test_policy_curve_equals_brute_force(rows: list[tuple[float, str]], ts: list[float], credit: float) -> None:
    conf = np.array([r[0] for r in rows])
    c = np.array([r[1] == "c" for r in rows], dtype=float)
    w = np.array([r[1] == "w" for r in rows], dtype=float)
    curve = policy_curve(conf, c, w, ts, credit)
    for t, score, expected in zip(ts, curve["score"], curve["expected"], strict=True):
        want_score, want_expected = brute_policy(conf, c, w, t, credit)
        assert score == pytest.approx(want_score, abs=1e-9)
        assert expected == pytest.approx(want_expected, abs=1e-9)


def test_perfectly_calibrated_policy_clears_t() -> None:
    rng = np.random.default_rng(7)
    n = 20000
    conf = rng.uniform(0, 1, n)
    c = (rng.uniform(0, 1, n) < conf).astype(float)
    curve = policy_curve(conf, c, 1 - c, [0.5, 0.75, 0.9], 0.0)
    for row in curve.itertuples():
        acc = row.C / (row.C + row.W)
        se = np.sqrt(acc * (1 - acc) / (row.C + row.W))
        assert acc >= row.t - 3 * se
        assert abs(row.gap) <= 3 * row.se  # calibrated: realised close to what confidences promise
        assert row.score > 0  # answering only above t never loses in expectation


def test_policy_report_on_sample_data() -> None:
    rows = policy_report(rescore.load(MINI).items, [0.5, 0.9])["rows"].set_index(["model", "t"])
    bold = rows.loc[("acme/bold-70b", 0.9)]
    assert bold["score_as_is"] == pytest.approx((159 - 9 * 121) / 280)
    assert bold["n_answered_policy"] == 45
    assert bold["score_policy"] == pytest.approx(0.089286, abs=1e-6)
    assert bold["gain"] == pytest.approx(bold["score_policy"] - bold["score_as_is"])
    assert rows.loc[("nova/humble-8b", 0.5), "gain"] == 0.0  # already abstains below 0.5
    assert bold["oracle"] == pytest.approx(159 / 280)


def test_behavioural_audit() -> None:
    rows = ([("m [r1]", i, "correct" if i < 45 else "wrong", 0.8) for i in range(50)]
            + [("m [r2]", i, "correct" if i < 60 else ("wrong" if i < 80 else "abstain"), 0.8) for i in range(100)])
    items = items_frame(rows)
    items["instructed_t"] = [0.5] * 50 + [0.9] * 100
    audit = behavioural_audit(items).set_index("instructed_t")
    assert audit.loc[0.5, "verdict"] == "clears"  # 45/50 = .9, clearly above .5
    assert audit.loc[0.9, "accuracy_on_answered"] == pytest.approx(0.75)
    assert audit.loc[0.9, "verdict"] == "below"  # 60/80 = .75 < .9 even at the upper bound
    assert audit.loc[0.9, "abstention_rate"] == pytest.approx(0.2)
    assert audit.loc[0.5, "error_rate"] == pytest.approx(0.1) and audit.loc[0.9, "error_rate"] == pytest.approx(0.2)
    assert audit["errors_non_increasing"].tolist() == [False, False]
    low, high = wilson_bounds(45, 50, 0.95)
    assert low == pytest.approx(audit.loc[0.5, "lower"]) and 0.8 < low < 0.9 < high
    assert behavioural_audit(items.drop(columns="instructed_t")).empty


# ---- paired comparison -----------------------------------------------------------------------
def test_multiple_comparison_adjustments_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert benjamini_hochberg(p).tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(holm(np.array([np.nan, 0.2]))[0]) and holm(np.array([np.nan, 0.2]))[1] == pytest.approx(0.2)
    assert p_two_sided(np.array([0.0, 1.0]), np.array([0.0, 0.0])).tolist() == [1.0, 0.0]
    assert p_two_sided(np.array([1.96]), np.array([1.0]))[0] == pytest.approx(0.05, abs=1e-3)


def test_kendall_tau_b_hand_cases() -> None:
    assert kendall_tau_b([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(4 / 6)
    assert kendall_tau_b([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / np.sqrt(6))
    assert np.isnan(kendall_tau_b([1, 1], [1, 2]))


def random_pair(rng: np.random.Generator, n: int, probs: tuple[float, float, float],
                clusters: np.ndarray | None = None) -> PairData:
    a = rng.choice(3, size=n, p=probs)
    b = rng.choice(3, size=n, p=probs)
    xa = np.eye(3)[a]
    xb = np.eye(3)[b]
    return PairData("b", "A", "B", xa - xb, clusters, 0, 0)


@pytest.mark.parametrize("clustered", [False, True])
def test_paired_se_matches_brute_force_bootstrap(clustered: bool) -> None:
    rng = np.random.default_rng(3)
    n = 600
    clusters = np.repeat(np.arange(n // 4), 4) if clustered else None
    # correlated models: B copies A on 70% of items, so pairing matters
    a = rng.choice(3, size=n, p=(0.5, 0.3, 0.2))
    if clustered:  # make clusters matter: the first item's outcome is shared within a cluster
        a = a[(np.arange(n) // 4) * 4]
    b = np.where(rng.uniform(size=n) < 0.7, a, rng.choice(3, size=n, p=(0.4, 0.4, 0.2)))
    pair = PairData("b", "A", "B", np.eye(3)[a] - np.eye(3)[b], clusters, 0, 0)
    ts = np.array([0.0, 0.5, 0.9])
    diff, se = pair.diff_se(ts)
    means, _ = pair.bootstrap(4000, seed=11)
    boot = means @ np.stack([np.ones(3), -penalty(ts), np.zeros(3)], axis=1).T
    assert boot.mean(axis=0) == pytest.approx(diff, abs=4 * se.max() / np.sqrt(4000) + 1e-9)
    assert np.std(boot, axis=0, ddof=1) == pytest.approx(se, rel=0.08)
    # brute force: the difference of the two models' mean scores, item by item
    for t, d in zip(ts, diff, strict=True):
        k = t / (1 - t)
        score = {0: 1.0, 1: -k, 2: 0.0}
        assert d == pytest.approx(np.mean([score[x] for x in a]) - np.mean([score[x] for x in b]))
    # same seed, same answer; pair-specific seeding
    again, _ = pair.bootstrap(4000, seed=11)
    assert np.array_equal(means, again)


def test_crossover_closed_form_equals_numeric_root() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        pair = random_pair(rng, 80, (0.5, 0.3, 0.2))
        dc, dw, _ = pair.x.mean(axis=0)
        t_star = float(crossover(dc, dw))

        def gap(t: float, pair: PairData = pair) -> float:  # S_A(t) - S_B(t), from the items
            return float(pair.diff_se(np.array([t]))[0][0])

        if np.isnan(t_star):  # no sign change of S_A - S_B on [0, 1)
            values = [gap(t) for t in np.linspace(0, 0.999, 200)]
            assert min(values) >= -1e-12 or max(values) <= 1e-12
            continue
        lo, hi = 0.0, 0.999999
        assert gap(lo) * gap(hi) < 0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if gap(lo) * gap(mid) > 0 else (lo, mid)
        assert t_star == pytest.approx((lo + hi) / 2, abs=1e-9)
    assert float(crossover(0.1, 0.2)) == pytest.approx(1 / 3)  # k* = 0.5 -> t* = 1/3
    assert np.isnan(crossover(0.1, -0.2)) and np.isnan(crossover(0.1, 0.0))


def test_identical_models_are_rarely_significant() -> None:
    rng = np.random.default_rng(2026)
    ts = np.array([0.0, 0.5, 0.9])
    sims = 400
    rejections = np.zeros(3)
    for _ in range(sims):
        pair = random_pair(rng, 200, (0.5, 0.3, 0.2))
        diff, se = pair.diff_se(ts)
        rejections += p_two_sided(diff, se) < 0.05
    rate = rejections / sims
    assert np.all(rate > 0.02) and np.all(rate < 0.09), rate


def test_identical_models_family_wise_with_holm() -> None:
    """Five exchangeable models: with Holm, any false rejection in the family happens at about 5%."""
    rng = np.random.default_rng(9)
    sims, hits = 150, 0
    for s in range(sims):
        rows = []
        for m in range(5):
            outcomes = rng.choice(["correct", "wrong", "abstain"], size=120, p=(0.5, 0.3, 0.2))
            rows += [(f"m{m}", i, o, 0.5) for i, o in enumerate(outcomes)]
        report = compare_report(items_frame(rows), [0.5], bootstrap=0, seed=s)
        hits += bool(report["rows"]["significant"].any())
    assert hits / sims < 0.1


def test_compare_alignment_drops_and_warns() -> None:
    rows = [("a", i, "correct" if i % 2 else "wrong", 0.6) for i in range(10)]
    rows += [("b", i, "correct", 0.6) for i in range(3, 12)]
    report = compare_report(items_frame(rows), [0, 0.5], bootstrap=200, seed=1)
    pair = report["pairs"].iloc[0]
    assert (pair["n"], pair["dropped_a"], pair["dropped_b"]) == (7, 3, 2)
    assert report["notes"] == ["b: a vs b: 3 + 2 items not shared by both were dropped (7 compared)"]
    row = report["rows"].set_index("t").loc[0.0]
    # scores are each model's own; the difference is on the 7 shared items (3..9: 4 correct for a)
    assert row["score_a"] == pytest.approx(0.5) and row["score_b"] == pytest.approx(1.0)
    assert row["diff"] == pytest.approx(4 / 7 - 1)


def test_compare_report_on_sample_data() -> None:
    items = rescore.load(MINI).items
    report = compare_report(items, [0, 0.5, 0.75, 0.9], bootstrap=500, seed=0)
    assert len(report["rows"]) == 2 * 10 * 4 and len(report["pairs"]) == 20
    pair = report["pairs"].set_index(["benchmark", "model_a", "model_b"]).loc[
        ("mmlu_pro", "acme/bold-70b", "acme/careful-70b")]
    assert pair["dC"] == pytest.approx((159 - 127) / 280) and pair["dW"] == pytest.approx((121 - 54) / 280)
    assert pair["crossover_t"] == pytest.approx(32 / 99)  # k* = 32/67
    assert pair["crossover_low"] < pair["crossover_t"] < pair["crossover_high"]
    assert pair["leader_below_crossover"] == "acme/bold-70b"
    tau = report["tau"].set_index(["benchmark", "t"])["kendall_tau_b"]
    assert tau.loc[("mmlu_pro", 0.0)] == 1.0 and tau.loc[("mmlu_pro", 0.9)] == pytest.approx(-0.4)
    assert tau.loc[("simpleqa", 0.9)] == pytest.approx(-0.8)
    taus = report["tau"].set_index(["benchmark", "t"])
    assert taus.loc[("mmlu_pro", 0.0), ["tau_low", "tau_high"]].tolist() == [1.0, 1.0]
    low, high = taus.loc[("mmlu_pro", 0.9), ["tau_low", "tau_high"]]
    assert low <= -0.4 <= high < 1.0  # the re-ranking at t = 0.9 is not an artefact of item sampling
    ties = report["ties"].set_index(["benchmark", "t", "model"])
    assert ties.loc[("mmlu_pro", 0.0, "orbit/mid-32b"), "tied_with_first"]
    assert not ties.loc[("mmlu_pro", 0.9, "acme/careful-70b"), "tied_with_first"]
    rows = report["rows"]
    assert (rows["p_holm"] >= rows["p"] - 1e-15).all() and (rows["p_bh"] <= rows["p_holm"] + 1e-15).all()
    again = compare_report(items, [0, 0.5, 0.75, 0.9], bootstrap=500, seed=0)
    pd.testing.assert_frame_equal(report["rows"], again["rows"])


def test_compare_usage_errors() -> None:
    items = items_frame([("a", 1, "correct", 0.5), ("b", 1, "wrong", 0.5)])
    with pytest.raises(UsageError, match="--correction"):
        compare_report(items, [0.5], correction="bonferroni")
    with pytest.raises(UsageError, match="--bootstrap"):
        compare_report(items, [0.5], bootstrap=-1)


def test_real_hle_judged_file() -> None:
    """HLE judged file (dunpt/Open-Deep-Research): 6 judged with confidences, 4 never judged (invalid)."""
    from .conftest import real_data

    data = rescore.load(real_data("hle"))
    default = calibration_report(data.items)
    assert default["summary"].empty
    assert default["omitted"]["reason"].tolist() == [
        "4 of 10 answered items lack a confidence (all invalid items scored as answers; --invalid drop|abstain "
        "or --partial abstain leaves them out)"]
    summary = calibration_report(data.items, Policy(invalid="drop"), bins=10)["summary"].iloc[0]
    # conf/outcome: .8 w, .9 c, .8 w, .8 w, .7 c, .9 w
    assert (summary["n"], summary["accuracy"]) == (6, pytest.approx(2 / 6))
    assert summary["brier"] == pytest.approx((0.64 + 0.01 + 0.64 + 0.64 + 0.09 + 0.81) / 6)
    assert summary["ece_width"] == pytest.approx(0.3 / 6 + 0.8 * 3 / 6 + 0.4 * 2 / 6)
    assert summary["overconfidence"] == pytest.approx(4.9 / 6 - 2 / 6)
    rows = policy_report(data.items, [0.75], Policy(invalid="abstain"))["rows"].iloc[0]
    # answer only p > .75: the two .9 (1 c, 1 w) and three .8 (all w); the .7 correct is withheld
    assert (rows["n"], rows["n_answered_policy"]) == (10, 5)
    assert rows["score_policy"] == pytest.approx((1 - 3 * 4) / 10)
    assert rows["score_as_is"] == pytest.approx((2 - 3 * 4) / 10)


def test_real_lm_eval_winogrande_softmax_confidences() -> None:
    """lm-eval loglikelihood samples (10 winogrande items): confidence = softmax over the options."""
    from .conftest import real_data

    items = rescore.load(real_data("lm_eval", "llama3.1-pro16-0827-Inst_winogrande_loglik")).items
    summary = calibration_report(items)["summary"].iloc[0]
    assert (summary["n"], summary["accuracy"]) == (10, pytest.approx(0.7))
    assert summary["mean_confidence"] == pytest.approx(0.976865, abs=1e-6)  # confidently wrong on 3 of 10
    assert summary["ece_width"] == pytest.approx(0.313350, abs=1e-6)
    assert summary["brier"] == pytest.approx(0.293926, abs=1e-6)
    assert selective_report(items)["summary"].iloc[0]["aurc"] == pytest.approx(0.247619, abs=1e-6)


@pytest.mark.parametrize("dtype", ["string", "category", "object"])
def test_outcome_kinds_are_the_kinds_asked_one_at_a_time(dtype: str) -> None:
    """One code column (rescore/score/item_scores.py outcome_kinds) says what the five per-kind
    questions said: a missing outcome is invalid, an unknown one none of the kinds."""
    values = ["correct", None, "wrong", "partial", "unknown", "abstain", "invalid", "Correct"]
    outcome = pd.Series(values, dtype="string").astype(dtype)
    kind = outcome_kinds(outcome)
    for k, name in enumerate(_KINDS):
        asked = pd.Series(values, dtype="string").fillna("invalid").eq(name).to_numpy(dtype=bool)
        assert np.array_equal(kind == k, asked)
