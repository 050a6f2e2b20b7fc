"""The calibrated-abstention policy, and the behavioural-calibration audit (Kalai et al. 2025, sec. 4.7).

**Policy.** Given per-item confidences, the score-maximising behaviour at target t is "answer iff
p > t": an answer with probability p of being right is worth p - (1-p)k in expectation, which is
positive exactly when p > t (k = t/(1-t)). Re-scoring a run under that rule shows how many
points the model left on the table by answering (or abstaining) against its own confidence.
A post-hoc rescore can only *withhold* answers: an item the model abstained on stays an
abstention whatever its confidence, because there is no answer to grade.

For every t at once, in one pass over the answered items sorted by confidence (O(n log n + T log n)):

- realised S*(t) = (C_t - k W_t + credit (n - C_t - W_t)) / n, where C_t, W_t count the
  correct and wrong answers with p > t;
- expected E*(t) = (sum_{p>t} [p - (1-p) k] + credit (n - answered_t)) / n, what the model's
  confidences promise; realised - expected is a calibration diagnostic in the units of the
  target (negative: over-confident where it matters);
- the as-submitted S(t), the gain S*(t) - S(t), and the oracle (answer iff correct).

**Audit.** For runs where the model was *told* a target (``instructed_t``), the paper's
behavioural calibration asks that accuracy on answered items be at least t. Each run reports
its abstention and error rates and accuracy on answered items with a one-sided Wilson bound:
``clears`` when the lower bound exceeds t, ``below`` when the upper bound is under t, else
``inconclusive``; across a model's runs the error rate should not rise with t.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from rescore.score.intervals import clt_se
from rescore.score.item_scores import omitted_frame, scored_items, usable_groups
from rescore.score.rule import Policy, check_thresholds, penalty

CURVE_COLUMNS = ["t", "penalty", "n", "n_answered", "C", "W", "score", "se", "expected", "gap"]


def policy_curve(conf: np.ndarray, c: np.ndarray, w: np.ndarray, thresholds: list[float] | np.ndarray,
                 idk_credit: float = 0.0) -> pd.DataFrame:
    """Realised and expected calibrated-policy scores at every threshold, from one sort.

    ``conf``, ``c``, ``w`` cover *all* the group's items (abstentions have c = w = 0 and may have
    NaN confidence). Every answered item needs a finite confidence.
    """
    conf = np.asarray(conf, dtype="float64")
    c = np.asarray(c, dtype="float64")
    w = np.asarray(w, dtype="float64")
    ts = np.asarray(thresholds, dtype="float64")
    n = conf.size
    answered = (c + w) > 0
    p = conf[answered]
    if np.isnan(p).any():
        raise ValueError("every answered item needs a confidence")
    order = np.argsort(p, kind="stable")
    p_sorted = p[order]

    def suffix(x: np.ndarray) -> np.ndarray:  # suffix[i] = sum of x[order][i:]
        return np.concatenate([np.cumsum(x[order][::-1])[::-1], [0.0]])

    suf_c, suf_w, suf_p = suffix(c[answered]), suffix(w[answered]), suffix(p)
    start = np.searchsorted(p_sorted, ts, side="right")  # first answered item with p > t
    n_ans = p.size - start
    c_t, w_t, sum_p = suf_c[start], suf_w[start], suf_p[start]
    k = penalty(ts)
    a_t = n - c_t - w_t
    with np.errstate(invalid="ignore", divide="ignore"):
        realised = (c_t - k * w_t + idk_credit * a_t) / n
        expected = (sum_p - k * (n_ans - sum_p) + idk_credit * (n - n_ans)) / n
    se = clt_se(c_t, w_t, a_t, ts, idk_credit) if n else np.full(ts.size, np.nan)
    return pd.DataFrame({
        "t": ts, "penalty": k, "n": np.full(ts.size, n, dtype="int64"), "n_answered": n_ans.astype("int64"),
        "C": c_t.astype("int64"), "W": w_t.astype("int64"), "score": realised, "se": se,
        "expected": expected, "gap": realised - expected,
    })[CURVE_COLUMNS]


ROW_COLUMNS = ["benchmark", "model", "t", "penalty", "n", "score_as_is", "score_policy", "se_policy", "gain",
               "n_answered_as_is", "n_answered_policy", "expected_policy", "calibration_gap", "oracle"]


def policy_report(items: pd.DataFrame, thresholds: list[float], policy: Policy | None = None) -> dict[str, Any]:
    """Calibrated-policy scores beside the as-submitted ones, per (benchmark, model, t).

    Returns ``{"rows": DataFrame, "omitted": DataFrame(benchmark, model, reason), "notes": [...]}``.
    """
    policy = policy or Policy()
    ts = check_thresholds(thresholds)
    frames: list[pd.DataFrame] = []
    omitted: list[tuple[str, str, str]] = []
    notes: list[str] = []
    credit = float(policy.idk_credit)
    for group in usable_groups(items, policy, omitted, notes):
        frame = group.items
        c = frame["c"].to_numpy(dtype="float64")
        w = frame["w"].to_numpy(dtype="float64")
        curve = policy_curve(frame["confidence"].to_numpy(dtype="float64"), c, w, ts, credit)
        n = len(frame)
        big_c, big_w = c.sum(), w.sum()
        k = curve["penalty"].to_numpy()
        out = pd.DataFrame({
            "benchmark": group.benchmark, "model": group.model, "t": curve["t"], "penalty": k, "n": n,
            "score_as_is": (big_c - k * big_w + credit * (n - big_c - big_w)) / n,
            "score_policy": curve["score"], "se_policy": curve["se"],
            "n_answered_as_is": int(big_c + big_w), "n_answered_policy": curve["n_answered"],
            "expected_policy": curve["expected"], "calibration_gap": curve["gap"],
            "oracle": (big_c + credit * (n - big_c)) / n,
        })
        out["gain"] = out["score_policy"] - out["score_as_is"]
        frames.append(out[ROW_COLUMNS])
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)
    return {"rows": rows, "omitted": omitted_frame(omitted), "notes": notes}


AUDIT_COLUMNS = ["benchmark", "model", "instructed_t", "n", "C", "W", "A", "abstention_rate", "error_rate",
                 "accuracy_on_answered", "lower", "upper", "verdict", "errors_non_increasing"]


def wilson_bounds(successes: float, trials: float, level: float = 0.95) -> tuple[float, float]:
    """One-sided Wilson bounds at ``level`` (each bound alone holds with that confidence)."""
    if trials <= 0:
        return float("nan"), float("nan")
    z = NormalDist().inv_cdf(level)
    phat = successes / trials
    denom = 1.0 + z * z / trials
    centre = (phat + z * z / (2 * trials)) / denom
    half = z * np.sqrt(phat * (1 - phat) / trials + z * z / (4 * trials * trials)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def behavioural_audit(items: pd.DataFrame, policy: Policy | None = None, level: float = 0.95) -> pd.DataFrame:
    """One row per (benchmark, model, instructed t) for items that carry ``instructed_t``.

    Empty when no item was run under a stated target.
    """
    policy = policy or Policy()
    if items.empty or "instructed_t" not in items.columns or items["instructed_t"].isna().all():
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    scored = scored_items(items[items["instructed_t"].notna()], policy)
    counts = scored.groupby(["benchmark", "model", "instructed_t"], sort=True, observed=True)[["c", "w", "a"]].sum()
    rows = []
    for (benchmark, model, t), r in counts.iterrows():
        c, w, a = int(r["c"]), int(r["w"]), int(r["a"])
        n = c + w + a
        lower, upper = wilson_bounds(c, c + w, level)
        verdict = ("no answers" if c + w == 0 else "clears" if lower > t else "below" if upper < t
                   else "inconclusive")
        rows.append({"benchmark": benchmark, "model": model, "instructed_t": float(t), "n": n, "C": c, "W": w,
                     "A": a, "abstention_rate": a / n if n else np.nan, "error_rate": w / n if n else np.nan,
                     "accuracy_on_answered": c / (c + w) if c + w else np.nan, "lower": lower, "upper": upper,
                     "verdict": verdict})
    table = pd.DataFrame(rows)
    # Runs of one model at different targets are labelled "model [run]" by the loader; the
    # monotonicity check is across them, so it groups on the model name without the run label.
    base = table["model"].str.replace(r" \[[^\]]*\]$", "", regex=True)
    monotone = {}
    for key, sub in table.assign(_base=base).groupby(["benchmark", "_base"], sort=False):
        errs = sub.sort_values("instructed_t")["error_rate"].to_numpy()
        monotone[key] = bool(np.all(np.diff(errs) <= 1e-12)) if len(errs) > 1 else None
    table["errors_non_increasing"] = [monotone[(b, m)] for b, m in zip(table["benchmark"], base, strict=True)]
    return table[AUDIT_COLUMNS]


POLICY_MODES = ("as-is", "calibrated", "both")
BOARD_COLUMNS = ["benchmark", "model", "t", "score_as_is", "score_policy", "se_policy", "ci_low", "ci_high",
                 "gain", "rank_policy", "n_answered_as_is", "n_answered_policy", "expected_policy",
                 "calibration_gap"]


def check_mode(mode: str) -> str:
    from rescore.errors import UsageError

    if mode not in POLICY_MODES:
        raise UsageError(f"--policy must be one of {', '.join(POLICY_MODES)}, not {mode!r}")
    return mode


def board_policy(data: Any, thresholds: list[float], policy: Policy, level: float = 0.95
                 ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The calibrated-policy columns the leaderboard shows beside the as-submitted score.

    Returns (rows, omitted, notes): rows per (benchmark, model, t) with the policy score, its
    interval, the gain over the as-submitted score and its rank among the models that have
    confidences; omitted (benchmark, model, reason) for everyone else, counts-only groups included.
    """
    from rescore.score.intervals import interval
    from rescore.score.item_scores import counts_only, without_unscored

    # an unscored run (issue 16, point 5) has no verdicts to keep or drop: policy-scoring its
    # ungraded items as wrong ranked it last with S*(t) < 0; it is omitted with the reason instead
    data, unscored = without_unscored(data)
    report = policy_report(data.items, thresholds, policy) if data.has_items else {
        "rows": pd.DataFrame(columns=ROW_COLUMNS), "omitted": omitted_frame([]), "notes": []}
    rows = report["rows"].copy()
    rows["ci_low"], rows["ci_high"] = interval(rows["score_policy"].to_numpy(dtype="float64"),
                                               rows["se_policy"].to_numpy(dtype="float64"), level)
    rows["rank_policy"] = (rows.groupby(["benchmark", "t"])["score_policy"]
                           .rank(method="min", ascending=False).astype("int64")) if len(rows) else []
    omitted = pd.concat([report["omitted"], omitted_frame(unscored), omitted_frame(counts_only(data))],
                        ignore_index=True)
    if not data.has_items and not getattr(data, "item_counts", pd.DataFrame()).empty:
        extra = data.item_counts[["benchmark", "model"]].drop_duplicates().sort_values(["benchmark", "model"])
        omitted = pd.concat([omitted, omitted_frame([(str(b), str(m), "per-item rows not loaded")
                                                     for b, m in extra.itertuples(index=False)])], ignore_index=True)
    return rows[BOARD_COLUMNS].reset_index(drop=True), omitted, list(report["notes"])
