"""Issue 20: every interval method against a closed form or a brute-force enumeration on tiny n,
degenerate cases, the exact paired test, and numbers that survive their own files."""

from __future__ import annotations

import io
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rescore
from rescore.score.calibration import bin_index, reliability_table
from rescore.score.compare import PairData, _joint_sign_states, _joint_tail, sign_flip_p
from rescore.score.intervals import (
    betainc,
    clustered_group_intervals,
    counts_interval,
    cr2_se,
    f_score_interval,
    score_interval,
    t_quantile,
    t_value,
    wilson,
    z_value,
)
from rescore.score.jsonable import csv_ready, records

from .conftest import invoke

ROOT = Path(__file__).resolve().parent.parent
Z2 = z_value(0.95) ** 2


def triples(n_max: int) -> list[tuple[int, int, int]]:
    return [(c, w, n - c - w) for n in range(1, n_max + 1) for c in range(n + 1) for w in range(n - c + 1)]


# ---- brute force: the constrained multinomial fit by a dense grid over the feasible segment -------
def brute_stats(counts: np.ndarray, values: np.ndarray, mu0: float) -> tuple[float, float]:
    """Pearson and LR statistics of "values . p = mu0" at the multinomial MLE found by grid search.

    The feasible p form a segment (two linear constraints on three probabilities): p_W = s, and
    p_C, p_A follow; the log-likelihood is maximised over 40,001 points of it.
    """
    v1, v2, v3 = values
    s = np.linspace(0.0, 1.0, 40_001)
    # p1 + p3 = 1 - s and v1 p1 + v3 p3 = mu0 - v2 s
    p1 = (mu0 - v2 * s - v3 * (1 - s)) / (v1 - v3)
    p3 = 1 - s - p1
    p = np.stack([p1, s, p3], axis=1)
    ok = (p >= -1e-15).all(axis=1)
    p = np.clip(p[ok], 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(counts > 0, counts * np.log(p), 0.0).sum(axis=1)
    best = p[int(np.argmax(ll))]
    n = counts.sum()
    expected = n * best
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0).sum())
        lr = float(2 * np.where(counts > 0, counts * np.log(counts / expected), 0.0).sum())
    return pearson, lr


@pytest.mark.parametrize("statistic", ["score", "lr"])
@pytest.mark.parametrize(("t", "credit"), [(0.9, 0.0), (0.5, 0.3)])
def test_score_and_lr_intervals_invert_the_brute_force_test(statistic: str, t: float, credit: float) -> None:
    """Every (C, W, A) with n <= 4 (and a sample up to 12): the statistic found by brute force is
    below z^2 just inside each end and above it just outside (unless the end is the support's)."""
    k = t / (1 - t)
    values = np.array([1.0, -k, credit])
    cases = [*triples(6), (7, 2, 3), (12, 0, 0), (0, 0, 12), (5, 5, 2), (1, 10, 1)]
    lows, highs = score_interval(*(np.array(x, dtype=float) for x in zip(*cases, strict=True)), t, credit,
                                 statistic=statistic)
    index = 0 if statistic == "score" else 1
    span = 1 + k
    for (c, w, a), low, high in zip(cases, lows, highs, strict=True):
        counts = np.array([c, w, a], dtype=float)
        mean = (c - k * w + credit * a) / (c + w + a)
        assert low <= mean + 1e-9 <= high + 2e-9
        for end, outward in ((low, -1.0), (high, 1.0)):
            inside = brute_stats(counts, values, end - outward * 1e-3 * span)[index]
            assert inside <= Z2 + 1e-3, ((c, w, a), end)
            at_support = end <= -k + 1e-9 or end >= 1 - 1e-9 or (
                credit and (c + w == 0) and abs(end - credit) < 1e-9)
            if not at_support:
                outside = brute_stats(counts, values, end + outward * 1e-3 * span)[index]
                assert outside >= Z2 - 1e-3, ((c, w, a), end)


def test_score_interval_at_t0_is_wilson_for_every_small_sample() -> None:
    cases = triples(12)
    c, w, a = (np.array(x, dtype=float) for x in zip(*cases, strict=True))
    low, high = score_interval(c, w, a, 0.0)
    n = c + w + a
    z = z_value(0.95)
    # Wilson in closed form
    centre = (c + z * z / 2) / (n + z * z)
    half = z * np.sqrt(c * (n - c) / n + z * z / 4) / (n + z * z)
    assert low == pytest.approx(np.clip(centre - half, 0, 1), abs=1e-8)
    assert high == pytest.approx(np.clip(centre + half, 0, 1), abs=1e-8)
    wl, wh = wilson(c, n)
    assert low == pytest.approx(wl, abs=1e-8) and high == pytest.approx(wh, abs=1e-8)


def test_wilson_closed_forms() -> None:
    z = z_value(0.95)
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(z * z / (10 + z * z))
    low, high = wilson(10, 10)
    assert high == 1.0 and low == pytest.approx(10 / (10 + z * z))
    assert np.isnan(wilson(0, 0)[0])


def test_t_and_clt_intervals_equal_the_per_item_formula() -> None:
    for c, w, a in [(6, 3, 1), (2, 1, 0), (10, 0, 2)]:
        for t in (0.0, 0.75):
            k = t / (1 - t)
            x = np.array([1.0] * c + [-k] * w + [0.0] * a)
            half = x.std(ddof=1) / math.sqrt(x.size)
            for method, crit in (("clt", z_value(0.95)), ("t", t_value(0.95, x.size - 1))):
                low, high = counts_interval(method, c, w, a, t)
                assert low == pytest.approx(x.mean() - crit * half) and high == pytest.approx(x.mean() + crit * half)


def test_student_t_quantiles_and_incomplete_beta() -> None:
    # published table values
    for df, q in [(1, 12.7062047), (2, 4.3026527), (4, 2.7764451), (9, 2.2621572), (29, 2.0452296)]:
        assert t_value(0.95, df) == pytest.approx(q, abs=1e-6)
    assert t_quantile(0.995, 3) == pytest.approx(5.8409093, abs=1e-6)
    assert t_value(0.95, float("inf")) == pytest.approx(z_value(0.95))
    assert betainc(1.0, 1.0, 0.3) == pytest.approx(0.3)  # uniform
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-4)  # 1 - sum of binomial(4, .4) terms


def test_cr2_equals_the_matrix_formula() -> None:
    """CR2 for a mean: sum_g (1' (I - H_gg)^{-1/2} e_g)^2 / n^2 with H = J/n, by eigendecomposition."""
    rng = np.random.default_rng(4)
    sizes = [2, 3, 5, 1, 4]
    outcomes = [rng.choice(3, size=m, p=(0.6, 0.3, 0.1)) for m in sizes]
    t = 0.75
    k = t / (1 - t)
    x = np.concatenate([np.array([1.0, -k, 0.0])[o] for o in outcomes])
    n = x.size
    e = x - x.mean()
    total, start = 0.0, 0
    for m in sizes:
        h = np.full((m, m), 1.0 / n)
        vals, vecs = np.linalg.eigh(np.eye(m) - h)
        root = vecs @ np.diag(vals ** -0.5) @ vecs.T
        total += float(np.ones(m) @ root @ e[start:start + m]) ** 2
        start += m
    frame = pd.DataFrame([{"C": int((o == 0).sum()), "W": int((o == 1).sum()), "A": int((o == 2).sum())}
                          for o in outcomes])
    assert cr2_se(frame, t) == pytest.approx(math.sqrt(total) / n, rel=1e-10)


def test_f_score_interval_brute_force() -> None:
    """F = 2C/(2C + 2W + A) = f0 is the linear constraint (2 - 2f0, -2f0, -f0) . p = 0."""
    for c, w, a in [(5, 2, 3), (3, 0, 0), (1, 4, 2), (8, 1, 3)]:
        low, high = f_score_interval(c, w, a)
        counts = np.array([c, w, a], dtype=float)
        f = 2 * c / (2 * c + 2 * w + a)
        assert low[0] <= f <= high[0]
        for end, outward in ((low[0], -1), (high[0], 1)):
            def stat(f0: float, counts: np.ndarray = counts) -> float:
                return brute_stats(counts, np.array([2 - 2 * f0, -2 * f0, -f0]), 0.0)[0]
            assert stat(end - outward * 2e-3) <= Z2 + 1e-3
            if 0.0 < end < 1.0:
                assert stat(end + outward * 2e-3) >= Z2 - 1e-3
    assert np.isnan(f_score_interval(0, 0, 5)[0][0])


def test_sign_flip_test_equals_enumerating_every_sign() -> None:
    rng = np.random.default_rng(8)
    for _ in range(40):
        m = int(rng.integers(1, 11))
        mags = rng.choice([1.0, 9.0, 10.0], size=m)
        signs = rng.choice([-1.0, 1.0], size=m)
        d = mags * signs
        observed = abs(d.sum())
        flips = np.array(list(itertools.product([-1.0, 1.0], repeat=m)))
        brute = float(np.mean(np.abs(flips @ mags) >= observed - 1e-9))
        kinds, counts = np.unique(d, return_counts=True)
        assert sign_flip_p(kinds, counts) == pytest.approx(brute, abs=1e-12)
        # the per-kind joint states PairData.p_values reuses across targets: the same tail
        assert _joint_tail(_joint_sign_states(counts), kinds, counts) == pytest.approx(brute, abs=1e-12)


def test_paired_test_is_exact_when_few_items_differ() -> None:
    eye = np.eye(3)
    ts = np.array([0.0, 0.9])

    def pair(n_items: int, favour_a: int, against: int = 0) -> PairData:
        x = np.zeros((n_items, 3))
        x[:favour_a] = eye[0] - eye[1]  # A right, B wrong
        x[favour_a:favour_a + against] = eye[1] - eye[0]
        return PairData("b", "A", "B", x, None, 0, 0)

    assert pair(50, 2).p_values(ts) == pytest.approx([0.5, 0.5])  # was p < 1e-4 from the normal test
    assert pair(50, 5).p_values(ts) == pytest.approx([0.0625, 0.0625])  # was 0.025
    assert pair(50, 0).p_values(ts).tolist() == [1.0, 1.0]
    # all 40 differences equal (no zero): SE 0, and the sign test gives 2^-39, not 0
    p = pair(40, 40).p_values(ts)
    assert p[0] == pytest.approx(2.0 ** -39, rel=1e-9) and p[0] > 0
    # many discordant items of mixed sign: the normal test on the paired SE
    many = pair(200, 40, 25)
    diff, se = many.diff_se(ts)
    assert many.p_values(ts)[0] == pytest.approx(math.erfc(abs(diff[0] / se[0]) / math.sqrt(2)))


def test_clustered_paired_test_is_student_t_on_cr2_or_exact_on_few_clusters() -> None:
    """Point 2 for paired differences: with clusters, p is Student t on G - 1 df times the CR2 SE
    (computed here from the cluster totals directly); with few differing clusters, the sign-flip
    test over the cluster totals (every one of the 2^G signs enumerated)."""
    from rescore.score.intervals import t_cdf

    eye = np.eye(3)
    rng = np.random.default_rng(5)
    t = np.array([0.75])
    v = np.array([1.0, -3.0, 0.0])
    for g_count in (40, 10):
        sizes = rng.integers(2, 6, g_count)
        clusters = np.repeat(np.arange(g_count), sizes)
        a, b = rng.choice(3, clusters.size, p=[0.7, 0.1, 0.2]), rng.choice(3, clusters.size, p=[0.6, 0.2, 0.2])
        x = eye[a] - eye[b]
        got = PairData("b", "A", "B", x, clusters, 0, 0).p_values(t)[0]
        d = x @ v
        totals = np.bincount(clusters, weights=d)
        if g_count == 40:
            assert np.count_nonzero(np.abs(totals) > 1e-9) >= 30  # the Student branch, not the exact one
            n, mean = d.size, d.mean()
            resid = totals - sizes * mean
            se = math.sqrt(np.sum(resid**2 / (1 - sizes / n)) / n**2)
            want = 2 * (1 - t_cdf(abs(mean) / se, g_count - 1))
        else:
            flips = np.array(list(itertools.product([-1.0, 1.0], repeat=g_count)))
            want = float(np.mean(np.abs(flips @ totals) >= abs(totals.sum()) - 1e-9))
        assert got == pytest.approx(want, rel=1e-9), g_count


def test_degenerate_samples_get_honest_intervals() -> None:
    for method in ("score", "lr"):
        for c, w, a in [(3, 0, 0), (0, 0, 3), (0, 3, 0), (1, 0, 0)]:
            low, high = counts_interval(method, c, w, a, 0.9)
            assert high - low > 0.1, (method, c, w, a)
    for method in ("clt", "t"):
        low, high = counts_interval(method, 3, 0, 0, 0.9)
        assert np.isnan(low) and np.isnan(high)  # undefined, never [1, 1]
    assert all(np.isnan(counts_interval(m, 0, 0, 0, 0.5)[0]) for m in ("score", "clt"))


def test_clustered_intervals_widen_with_few_clusters() -> None:
    frame = pd.DataFrame({"C": [7, 3, 9, 2, 8], "W": [1, 4, 0, 5, 1], "A": [2, 3, 1, 3, 1]})
    ts = np.array([0.0, 0.9])
    _se_clt, lo_clt, hi_clt = clustered_group_intervals("clt", frame, ts)
    se_t, lo_t, hi_t = clustered_group_intervals("cr2-t", frame, ts)
    assert np.all(hi_t - lo_t > hi_clt - lo_clt)  # t(4) = 2.78 against 1.96
    assert (hi_t - lo_t) == pytest.approx(2 * t_value(0.95, 4) * se_t)
    _, lo_s, hi_s = clustered_group_intervals("score-deff", frame, ts)
    assert np.all(lo_s < hi_s)


def test_leaderboard_names_the_method_and_marks_undefined(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("model,benchmark,n_correct,n_wrong,n_abstain\nperfect,qa,3,0,0\nother,qa,2,1,0\n")
    board = rescore.leaderboard(str(path), [0.0, 0.9], interval="clt")
    assert set(board.groups["se_method"]) == {"clt (counts only)"}
    row = board.rows[(board.rows["model"] == "perfect") & (board.rows["t"] == 0.9)].iloc[0]
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    doc = json.loads(invoke("leaderboard", str(path), "-t", "0.9", "--interval", "clt", "-f", "json").stdout)
    perfect = next(r for r in doc["rows"] if r["model"] == "perfect")
    assert perfect["ci_low"] is None and perfect["ci_high"] is None
    shown = invoke("leaderboard", str(path), "-t", "0.9", "--interval", "clt")
    assert "±–" in shown.stdout and "±.00" not in shown.stdout
    md = invoke("leaderboard", str(path), "-t", "0.9", "--interval", "clt", "-f", "markdown").stdout
    assert "± –" in md
    # the default is the score interval: defined, and not zero-width, for 3 of 3 right
    board = rescore.leaderboard(str(path), [0.9])
    assert set(board.groups["se_method"]) == {"score (counts only)"}
    row = board.rows[board.rows["model"] == "perfect"].iloc[0]
    assert row["ci_high"] - row["ci_low"] > 1.0
    assert "interval (score" in invoke("leaderboard", str(path), "-t", "0.9").stdout.replace("\n", " ")
    # the derived numbers' intervals: break-even t0 by Wilson on the answered items
    g = board.groups.set_index("model").loc["other"]
    assert (g["break_even_low"], g["break_even_high"]) == pytest.approx(tuple(float(x) for x in wilson(2, 3)))


DEGENERATE = {"perfect": (3, 0, 0), "silent": (0, 0, 3), "single": (1, 0, 0)}


def _halves(text: str, fmt: str) -> dict[str, str]:
    """Each degenerate model's printed "±" cell (terminal, Markdown) or both HTML cells."""
    import re

    found: dict[str, str] = {}
    for name in DEGENERATE:
        if fmt == "table":
            found[name] = re.search(rf"^{name}\s.*?±(\S+)", text, re.M).group(1)
        elif fmt == "markdown":
            found[name] = re.search(rf"\| {name} \|.*?± (\S+)", text).group(1)
        else:  # html: the live cell the slider rewrites and the static target column
            row = re.search(rf"<td class='name'>{name}</td>.*?</tr>", text).group(0)
            found[name] = "/".join(re.findall(r"±([^<]*)<", row))
    return found


@pytest.mark.parametrize("method", ["score", "clt"])
def test_degenerate_cases_alike_in_every_format(tmp_path: Path, method: str) -> None:
    """Point 6: 3 of 3 right, 3 of 3 abstained and n = 1 either get a wide interval (score) or are
    undefined (clt) in the terminal, Markdown, CSV, JSON and HTML alike; never a zero width."""
    path = tmp_path / "counts.csv"
    path.write_text("model,benchmark,n_correct,n_wrong,n_abstain\nother,qa,2,1,0\n" + "".join(
        f"{m},qa,{c},{w},{a}\n" for m, (c, w, a) in DEGENERATE.items()))
    args = [str(path), "-t", "0.9", "--interval", method, "-q"]
    doc = json.loads(invoke("leaderboard", *args, "-f", "json").stdout)
    csv_rows = pd.read_csv(io.StringIO(invoke("leaderboard", *args, "-f", "csv").stdout)).set_index("model")
    html = tmp_path / "r.html"
    assert invoke("report", *args, "-o", str(html)).exit_code == 0
    shown = {fmt: _halves(invoke("leaderboard", *args, "-f", fmt).stdout, fmt) for fmt in ("table", "markdown")}
    shown["html"] = _halves(html.read_text(), "html")
    assert f"(method: {method};" in html.read_text()  # and every output names the method (point 1)
    assert f"interval ({method})" in invoke("leaderboard", *args).stdout.replace("\n", " ")
    assert f"({method}; ± is the wider side" in invoke("leaderboard", *args, "-f", "markdown").stdout
    for row in doc["rows"]:
        if row["model"] not in DEGENERATE:
            continue
        name, low, high = row["model"], row["ci_low"], row["ci_high"]
        csv_low, csv_high = csv_rows.loc[name, "ci_low"], csv_rows.loc[name, "ci_high"]
        if method == "clt":  # undefined, everywhere: null, empty, "–"
            assert low is None and high is None and np.isnan(csv_low) and np.isnan(csv_high), name
            assert {shown["table"][name], shown["markdown"][name]} == {"–"} and shown["html"][name] == "–/–"
        else:  # the score interval: wide at n <= 3, and every format prints that width
            assert high - low > 1.0 and csv_high - csv_low > 1.0, name
            wider = max(high - row["score"], row["score"] - low)
            half = f"{wider:.3f}"
            assert shown["markdown"][name] == half and shown["html"][name] == f"{half}/{half}", name
            assert shown["table"][name] == f"{wider:.2f}"  # the terminal's narrow column
    assert "±.00" not in str(shown) and "±0.00" not in str(shown)


def test_calibrated_policy_score_takes_the_board_interval(tmp_path: Path) -> None:
    """Point 4: S*(t) is the mean over the policy's own counts (answer iff confidence > t), so its
    interval is the score interval of (C_t, W_t, n - C_t - W_t), counted here from the items."""
    rng = np.random.default_rng(3)
    conf = np.round(rng.uniform(0.3, 1.0, 40), 3)
    right = rng.uniform(size=40) < conf
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct,confidence\n" + "".join(
        f"m,{i},{int(r)},{p}\n" for i, (r, p) in enumerate(zip(right, conf, strict=True))))
    ts = [0.5, 0.9]
    rows = rescore.leaderboard(str(path), ts, confidence_policy="calibrated").policy_rows.set_index("t")
    for t in ts:
        c_t, w_t = float(np.sum(right & (conf > t))), float(np.sum(~right & (conf > t)))
        low, high = score_interval(np.array([c_t]), np.array([w_t]), np.array([40.0 - c_t - w_t]), t)
        assert (rows.loc[t, "ci_low"], rows.loc[t, "ci_high"]) == pytest.approx((low[0], high[0]), abs=1e-9)
        assert rows.loc[t, "ci_low"] < rows.loc[t, "score_policy"] < rows.loc[t, "ci_high"]


def test_counts_only_row_with_n_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("model,benchmark,n_correct,n_wrong,n_abstain\nempty,qa,0,0,0\nother,qa,2,1,0\n")
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3
    assert str(path) in result.stderr and "empty" in result.stderr and "n_correct" in result.stderr


def test_thresholds_and_p_values_survive_their_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({"t": [0.9, 0.9999999], "p": [0.5, 1.2e-8], "x": [1 / 3, 0.5]})
    assert records(frame)[1]["t"] == 0.9999999 and records(frame)[1]["p"] == 1.2e-8
    text = csv_ready(frame).to_csv(index=False, float_format="%.6f")
    assert "0.9999999,1.2e-08" in text and "0.900000,0.500000" in text
    # the leaderboard at t = 0.9999999 is accepted back as a --baseline
    data = tmp_path / "counts.csv"
    data.write_text("model,benchmark,n_correct,n_wrong,n_abstain\na,qa,20,0,10\nb,qa,15,5,10\n")
    base = tmp_path / "base.json"
    out = invoke("leaderboard", str(data), "-t", "0.9999999", "-f", "json", "-o", str(base))
    assert out.exit_code == 0, out.stderr
    assert {r["t"] for r in json.loads(base.read_text())["rows"]} == {0.9999999}
    check = invoke("check", str(data), "--baseline", str(base))
    assert check.exit_code == 0, check.stderr


def test_small_p_values_and_exact_targets_keep_their_digits_in_every_file(tmp_path: Path) -> None:
    """Point 8 end to end: compare's p of order 1e-48 is the library's to six significant digits in
    CSV, JSON Lines and JSON (never 0), and a target 0.9999999 stays itself in the leaderboard's CSV."""
    from rescore.score.compare import build_report

    lines = ["model,question_id,pred,answer"]
    for i in range(400):
        lines += [f"strong,q{i},{'A' if i % 10 else 'B'},A", f"weak,q{i},{'A' if i % 2 else 'B'},A"]
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(lines) + "\n")
    want = build_report(str(path), [0.0, 0.9999999], bootstrap=0).tables["rows"]["p"].to_numpy(dtype=float)
    assert 0 < want.max() < 1e-20
    args = [str(path), "-t", "0", "-t", "0.9999999", "--bootstrap", "0", "-q", "-f"]
    got = {
        "csv": pd.read_csv(io.StringIO(invoke("compare", *args, "csv").stdout))["p"].tolist(),
        "jsonl": [json.loads(x)["p"] for x in invoke("compare", *args, "jsonl").stdout.splitlines()],
        "json": [r["p"] for r in json.loads(invoke("compare", *args, "json").stdout)["rows"]],
    }
    for fmt, ps in got.items():
        assert ps == pytest.approx(want.tolist(), rel=1e-5), fmt
    ts = pd.read_csv(io.StringIO(invoke("leaderboard", str(path), "-t", "0.9999999", "-q", "-f", "csv").stdout))["t"]
    assert set(ts) == {0.9999999}


def test_equal_width_bins_follow_their_edges_exactly() -> None:
    conf = np.array([0.57, 0.29, 0.58, 0.1, 0.7, 1.0, 0.0])
    idx = bin_index(conf, 100)
    assert idx.tolist() == [57, 29, 58, 10, 70, 99, 0]
    for b, c in zip(idx, conf, strict=True):
        assert b / 100 <= c and (c < (b + 1) / 100 or b == 99)
    table = reliability_table(np.array([0.57]), np.array([1.0]), 100)
    assert table["lower"].iloc[0] == 0.57


def test_crossover_that_does_not_happen_prints_none(tmp_path: Path) -> None:
    from rescore.cli.commands.compare import print_compare
    from rescore.score.compare import build_report

    lines = ["model,question_id,pred,answer"]
    for i in range(60):  # strong is right where weak is right and more; never more wrong
        lines.append(f"strong,q{i},{'A' if i % 5 else 'B'},A")
        lines.append(f"weak,q{i},{'A' if i % 3 else 'B'},A")
    path = tmp_path / "b.csv"
    path.write_text("\n".join(lines) + "\n")
    report = build_report(str(path), [0.0, 0.9], bootstrap=300)
    pairs = report.tables["pairs"]
    assert pairs["crossover_t"].isna().all() and pairs["crossover_low"].isna().all()
    from rich.console import Console

    console = Console(width=200, record=True)
    print_compare(report, console)
    text = console.export_text()
    assert " none " in text and "none [" not in text and "none –" not in text


# ---- coverage near nominal: exact enumeration from the benchmark, fast and deterministic -------------
def test_coverage_near_nominal_by_exact_enumeration() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import coverage as bench
    finally:
        sys.path.pop(0)
    grid = bench.Grid(ns=(30, 50), ts=(0.0, 0.9), mixes=("typical .7/.1/.2", "rare wrong .85/.02/.13"),
                      clusters=(), iccs=(), cluster_mixes=(), reps=0, paired_ns=(), paired_reps=0,
                      crossover_ns=(), crossover_reps=0)
    rows = bench.independent_coverage(grid)
    score = [r["coverage"] for r in rows if r["method"] == "score"]
    clt = [r["coverage"] for r in rows if r["method"] == "clt"]
    assert min(score) >= 0.925 and max(score) <= 0.98, score
    assert min(clt) < 0.6  # the CLT at t = 0.9 with rare wrong answers: what issue 20 fixed


def test_exact_coverage_by_enumeration_for_tiny_n() -> None:
    """n <= 12: coverage summed over every multinomial outcome equals the benchmark's enumeration."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import coverage as bench
    finally:
        sys.path.pop(0)
    p = (0.6, 0.25, 0.15)
    for n in (3, 7, 12):
        _counts, prob, lost = bench.outcomes(n, p, floor=0.0)
        assert prob.sum() == pytest.approx(1.0) and lost < 1e-12
        truth = p[0] - 9 * p[1]
        every = triples(n)[-((n + 1) * (n + 2) // 2):]
        lows, highs = score_interval(*(np.array(x, dtype=float) for x in zip(*every, strict=True)), 0.9)
        direct = 0.0
        for (c, w, a), low, high in zip(every, lows, highs, strict=True):
            pmf = math.factorial(n) / (math.factorial(c) * math.factorial(w) * math.factorial(a)) * (
                p[0] ** c * p[1] ** w * p[2] ** a)
            direct += pmf * bool(low <= truth <= high)
        grid = bench.Grid(ns=(n,), ts=(0.9,), mixes=(), clusters=(), iccs=(), cluster_mixes=(), reps=0,
                          paired_ns=(), paired_reps=0, crossover_ns=(), crossover_reps=0)
        bench.MIXES["tiny"] = p
        grid.mixes = ("tiny",)
        got = next(r["coverage"] for r in bench.independent_coverage(grid) if r["method"] == "score")
        assert got == pytest.approx(direct, abs=1e-12)


def test_benchmark_paired_p_values_equal_the_library() -> None:
    """benchmarks/coverage.py vectorises the paired test over simulated pairs: it must be rescore's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import coverage as bench
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(12)
    ts = np.array([0.0, 0.5, 0.9])
    for n, agree in ((15, 0.5), (60, 0.8), (120, 0.5)):
        a, b = bench.paired_draws(rng, (0.6, 0.25, 0.15), agree, n, 25)
        new, _ = bench.pair_p_values(a, b, ts)
        eye = np.eye(3)
        for r in range(len(a)):
            pair = PairData("b", "A", "B", eye[a[r]] - eye[b[r]], None, 0, 0)
            assert new[r] == pytest.approx(pair.p_values(ts), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("statistic", ["score", "lr"])
def test_score_on_effective_counts_with_singleton_clusters_is_the_score_interval(statistic: str) -> None:
    """One item per cluster: CR2 is the independent-items SE, the design effect 1, and score-deff
    (lr-deff) is the score (LR) interval with t(df)^2 as its critical value, df the Satterthwaite
    min(n - 1, 3 (sum u)^2 / sum u^2) of the items' squared residuals (written out here)."""
    outcomes = [0] * 7 + [1] * 2 + [2] * 3
    frame = pd.DataFrame([{"C": int(o == 0), "W": int(o == 1), "A": int(o == 2)} for o in outcomes])
    ts = np.array([0.0, 0.75, 0.9])
    se, low, high = clustered_group_intervals(f"{statistic}-deff", frame, ts)
    n = len(outcomes)
    crit = []
    for t in ts:
        x = np.array([[1.0, -t / (1 - t), 0.0][o] for o in outcomes])
        u = (x - x.mean()) ** 2 / (1 - 1 / n)
        df = min(n - 1.0, math.floor(10 * 3 * u.sum() ** 2 / (u**2).sum()) / 10)
        crit.append(t_value(0.95, df) ** 2)
    crit = np.array(crit)
    want_low, want_high = score_interval(np.full(3, 7.0), np.full(3, 2.0), np.full(3, 3.0), ts, critical=crit,
                                         statistic=statistic)
    assert low == pytest.approx(want_low, abs=1e-9) and high == pytest.approx(want_high, abs=1e-9)
    from rescore.score.intervals import clt_se

    assert se == pytest.approx(clt_se(7, 2, 3, ts), rel=1e-9)


def test_score_deff_keeps_a_design_effect_below_one_and_few_clusters_cost_df() -> None:
    """score-deff divides the counts by the CR2 design effect even below 1 (no floor at 1: that
    biased it upwards), and one cluster carrying the variance lowers the df towards 1."""
    from rescore.score.intervals import DEFF_FLOOR, clt_se, cr2_satterthwaite_df, deff_score_interval

    # four equal clusters of 5 with 3 right each: every cluster at the mean, CR2 = 0, deff floored
    c, w, a = np.array([[3.0, 3, 3, 3]]), np.array([[2.0, 2, 2, 2]]), np.zeros((1, 4))
    _, low, high = deff_score_interval(c, w, a, 0.0)
    want = tuple(map(float, score_interval(12 / DEFF_FLOOR, 8 / DEFF_FLOOR, 0.0, 0.0, critical=t_value(0.95, 3) ** 2)))
    assert (low[0], high[0]) == pytest.approx(want, abs=1e-9)
    # clusters less alike than independent items would be: deff = CR2 / iid variance < 1, used as is
    c = np.array([[3.0, 2, 3, 2, 4, 1]])
    w = 5.0 - c
    a = np.zeros_like(c)
    se, low, high = deff_score_interval(c, w, a, 0.0)
    deff = (se[0] / clt_se(15, 15, 0, 0.0)) ** 2
    assert DEFF_FLOOR < deff < 1.0
    df = float(cr2_satterthwaite_df(c, w, a, 0.0)[0])
    assert df == 5.0  # six clusters contributing alike: the cap G - 1
    want = tuple(map(float, score_interval(15 / deff, 15 / deff, 0.0, 0.0, critical=t_value(0.95, df) ** 2)))
    assert (low[0], high[0]) == pytest.approx(want, abs=1e-9)
    # one cluster carries every wrong answer: 3 (sum u)^2 / sum u^2 by hand, far below G - 1
    c, w, a = np.array([[5.0, 5, 5, 5, 5, 0]]), np.array([[0.0, 0, 0, 0, 0, 5]]), np.zeros((1, 6))
    mean = 25 / 30  # residual totals: 5 - 5 mean for each clean cluster, 0 - 5 mean for the other
    u = np.array([(5 - 5 * mean) ** 2] * 5 + [(5 * mean) ** 2]) / (1 - 5 / 30)
    want_df = math.floor(10 * 3 * u.sum() ** 2 / (u**2).sum()) / 10
    assert float(cr2_satterthwaite_df(c, w, a, 0.0)[0]) == pytest.approx(want_df) and want_df < 5


def test_benchmark_attainable_size_is_the_sign_flip_discreteness_bound() -> None:
    """The paired table's "best attainable" column, by hand: m equal differences have two-sided
    tail sizes 2 P(B <= j), B ~ Binomial(m, 1/2); the largest <= 5 % is the bound."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import coverage as bench
    finally:
        sys.path.pop(0)
    assert bench.attainable_size(np.array([1.0]), np.array([5])) == 0.0  # 2/32 = 6.25 % > 5 %
    assert bench.attainable_size(np.array([1.0]), np.array([6])) == pytest.approx(2 / 64)
    for m in (12, 25, 40):
        tails = [2 * sum(math.comb(m, b) for b in range(j + 1)) / 2**m for j in range(m // 2)]
        assert bench.attainable_size(np.array([-1.0, 1.0]), np.array([m - 3, 3])) == pytest.approx(
            max(x for x in tails if x <= 0.05))
    # two magnitudes 1 and 2, one unit each: |S| in {1, 3}, each 1/2: no size <= 5 % exists
    assert bench.attainable_size(np.array([1.0, 2.0]), np.array([1, 1])) == 0.0


def test_benchmark_conditional_rejection_equals_every_sign_pattern_tested() -> None:
    """The paired table's type I error sums, per simulated pair, the chance that rescore's test
    rejects given which items differ (benchmarks/coverage.py conditional_rejection). Brute force:
    flip the sign of every differing item in every one of the 2^m ways, run the library's paired
    test (PairData.p_values) on each, and count the share that rejects."""
    import itertools

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import coverage as bench
    finally:
        sys.path.pop(0)
    from rescore.score.compare import EXACT_BELOW

    eye = np.eye(3)
    ts = np.array([0.0, 0.5, 0.9])
    k = np.array([0.0, 1.0, 9.0])  # the penalties at ts
    # (outcome of A, outcome of B) per item: agreeing items, then items that differ
    for agree, differ in (((0,) * 4, [(0, 1)] * 3 + [(0, 2)] * 2 + [(1, 2)] * 2),
                          ((0, 2, 1) * 3, [(0, 1)] * 6 + [(2, 0)] * 5),
                          ((2,) * 40, [(0, 2)] * 6 + [(1, 0)] * 4 + [(0, 1)] * 2),  # 12 of 52 differ
                          ((0,) * 2, [(0, 1)] * 12)):  # every difference equal in size
        same = [(o, o) for o in agree]
        n = len(same) + len(differ)
        for ti, t in enumerate(ts):
            d = {(i, j): (eye[i] - eye[j]) @ np.array([1.0, -k[ti], 0.0]) for i in range(3) for j in range(3)}
            moving = [pair for pair in differ if abs(d[pair]) > 1e-12]
            rejected = 0
            for flips in itertools.product((False, True), repeat=len(moving)):
                pairs = same + [pair for pair in differ if abs(d[pair]) <= 1e-12] + [
                    (b, a) if flip else (a, b) for (a, b), flip in zip(moving, flips, strict=True)]
                x = np.array([eye[a] - eye[b] for a, b in pairs])
                p = PairData("b", "A", "B", x, None, 0, 0).p_values(np.array([t]))[0]
                rejected += bool(p < 0.05)
            values = np.array([d[pair] for pair in moving])
            counts = np.ones(len(moving), dtype="int64")
            got = bench.conditional_rejection(values, counts, n, exact=len(moving) < EXACT_BELOW)
            assert got == pytest.approx(rejected / 2 ** len(moving), abs=1e-12), (agree, differ, t)
    # the normal test's share too, on a pair where 30 items differ (2^30 patterns: by their counts)
    values, counts = np.array([1.0, 9.0]), np.array([18, 12])
    direct = 0.0
    for b1 in range(19):
        for b2 in range(13):
            s = (2 * b1 - 18) * 1.0 + (2 * b2 - 12) * 9.0
            n = 80
            se = math.sqrt(max(18 + 12 * 81 - n * (s / n) ** 2, 0.0) / (n * (n - 1)))
            p = math.erfc(abs(s / n) / se / math.sqrt(2)) if se > 0 else float(s != 0) * 0.0 + float(s == 0)
            direct += math.comb(18, b1) * math.comb(12, b2) / 2**30 * (p < 0.05)
    assert bench.conditional_rejection(values, counts, 80, exact=False) == pytest.approx(direct, abs=1e-12)


def test_same_bound_is_numpy_isclose_without_its_overhead() -> None:
    """The KKT step's test of which bound lam reached: np.isclose(rtol=1e-12, atol=0) exactly,
    on signed zeros, infinities, NaN, huge values and values 1e-13 / 1e-11 apart."""
    from rescore.score.intervals import _same_bound

    values = np.array([0.0, -0.0, 1.0, -1.0, 1 + 1e-13, 1 + 1e-11, np.inf, -np.inf, np.nan, 1e300, -2.5,
                       -2.5 * (1 + 5e-13), 5e-324])
    grid_a, grid_b = np.meshgrid(values, values)
    assert (_same_bound(grid_a, grid_b) == np.isclose(grid_a, grid_b, rtol=1e-12, atol=0)).all()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 3))
    y = x * (1 + rng.choice([0.0, 1e-13, 2e-12, 1e-11], size=x.shape))
    assert (_same_bound(x, y) == np.isclose(x, y, rtol=1e-12, atol=0)).all()
