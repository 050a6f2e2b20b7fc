"""The leaderboard's confidence integration: --policy calibrated|both and paired-test tie marks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import rescore

from .conftest import SAMPLE, invoke

MMLU = SAMPLE / "mmlu_pro_mini"


def test_policy_both_json_equals_library() -> None:
    result = invoke("leaderboard", str(MMLU), "-t", "0.5", "-t", "0.9", "--policy", "both", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    expected = rescore.leaderboard(MMLU, [0.5, 0.9], confidence_policy="both").to_dict()
    doc = json.loads(result.stdout)
    assert doc == json.loads(json.dumps(expected))
    rows = {(r["model"], r["t"]): r for r in doc["policy_rows"]}
    bold = rows[("acme/bold-70b", 0.9)]
    assert bold["score_as_is"] == pytest.approx(-3.321429) and bold["score_policy"] == pytest.approx(0.089286)
    assert bold["gain"] == pytest.approx(3.410714) and bold["n_answered_policy"] == 45 and bold["rank_policy"] == 1
    assert rows[("nova/humble-8b", 0.5)]["gain"] == 0.0
    assert doc["policy_omitted"] == []
    calibrated = invoke("leaderboard", str(MMLU), "-t", "0.5", "-t", "0.9", "--policy", "calibrated", "-f", "json",
                        "-q")
    assert json.loads(calibrated.stdout)["policy_rows"] == doc["policy_rows"]


def test_as_is_keeps_the_json_schema() -> None:
    doc = rescore.leaderboard(MMLU, [0.5]).to_dict()
    assert "policy_rows" not in doc and doc["schema_version"] == 1
    assert set(doc) == {"schema", "schema_version", "provenance", "groups", "rows"}


def test_policy_in_every_format(tmp_path: Path) -> None:
    table = invoke("leaderboard", str(SAMPLE / "mmlu_pro_mini"), str(SAMPLE / "simpleqa_mini"), "--policy", "both",
                   "-t", "0.9")
    assert table.exit_code == 0, table.stderr
    assert "mmlu_pro: calibrated-abstention policy" in table.stdout and "(+3.411) #1" in table.stdout
    assert "policy omitted: acme/bold-70b on simpleqa: no per-item confidence" in table.stdout
    csv = pd.read_csv(tmp_path / "b.csv") if invoke("leaderboard", str(MMLU), "--policy", "both", "-o",
                                                    str(tmp_path / "b.csv")).exit_code == 0 else None
    assert csv is not None and {"policy_score", "policy_gain", "policy_rank"} <= set(csv.columns)
    bold = csv[(csv["model"] == "acme/bold-70b") & (csv["t"] == 0.9)].iloc[0]
    assert bold["policy_score"] == pytest.approx(0.089286, abs=1e-6)
    md = invoke("leaderboard", str(MMLU), "--policy", "both", "-f", "markdown", "-t", "0.9", "-q").stdout
    assert "### Calibrated-abstention policy" in md and "| mmlu_pro | acme/bold-70b | 0.089 (+3.411) |" in md
    plain = invoke("leaderboard", str(MMLU), "-f", "csv", "-q").stdout
    assert "policy_score" not in plain.splitlines()[0]


def test_policy_omits_constant_confidence_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct,confidence\n" + "".join(f"a,{i},{i % 2},0.9\n" for i in range(6))
                    + "".join(f"b,{i},{i % 3 > 0},{0.2 + i / 10}\n" for i in range(6)))
    result = invoke("leaderboard", str(path), "--policy", "both", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["policy_omitted"] == [{"benchmark": "b", "model": "a",
                                      "reason": "confidence is constant (0.9) on all 6 answered items"}]
    assert {r["model"] for r in doc["policy_rows"]} == {"b"}
    assert "a on b: confidence is constant (0.9) on all 6 answered items; confidence metrics omitted" in result.stderr


def test_bad_policy_and_ties_values() -> None:
    assert invoke("leaderboard", str(MMLU), "--policy", "optimal").exit_code == 2
    assert "--policy" in invoke("leaderboard", str(MMLU), "--policy", "optimal").stderr
    bad = invoke("leaderboard", str(MMLU), "--ties", "coin")
    assert bad.exit_code == 2 and "--ties" in bad.stderr


def test_paired_ties_replace_interval_overlap() -> None:
    data = rescore.load(MMLU)
    paired = rescore.leaderboard(data, [0, 0.9])
    overlap = rescore.leaderboard(data, [0, 0.9], ties="overlap")
    assert paired.tie_method.startswith("paired test") and overlap.tie_method == "interval overlap"
    pd.testing.assert_frame_equal(paired.rows.drop(columns=["overlaps_above", "overlaps_below", "tied_with_first"]),
                                  overlap.rows.drop(columns=["overlaps_above", "overlaps_below", "tied_with_first"]))
    first = paired.rows[paired.rows["t"] == 0].set_index("model")["tied_with_first"]
    # bold-70b vs careful-70b at t=0: 0.568 vs 0.454, paired p = 0.0014, Holm 0.0071 -> separated
    assert first.to_dict() == {"acme/bold-70b": True, "orbit/mid-32b": True, "acme/careful-70b": False,
                               "nova/guess-8b": False, "nova/humble-8b": False}
    at9 = paired.rows[paired.rows["t"] == 0.9].set_index("model")
    overlap9 = overlap.rows[overlap.rows["t"] == 0.9].set_index("model")
    # careful-70b (#2) vs humble-8b (#1) at t=0.9: intervals overlap, but the paired test separates them
    assert overlap9.loc["acme/careful-70b", "overlaps_above"] and not at9.loc["acme/careful-70b", "overlaps_above"]
    assert paired.provenance()["ties"] == paired.tie_method


def test_counts_only_keeps_interval_overlap(tmp_path: Path) -> None:
    path = tmp_path / "agg.csv"
    path.write_text("model,benchmark,n_correct,n_wrong,n_abstain\na,x,50,30,20\nb,x,45,25,30\n")
    board = rescore.leaderboard(path, [0.5])
    assert board.tie_method == "interval overlap"
    both = rescore.leaderboard(path, [0.5], confidence_policy="both")
    assert both.policy_omitted.to_dict("records") == [
        {"benchmark": "x", "model": "a", "reason": "counts only: per-item data unavailable"},
        {"benchmark": "x", "model": "b", "reason": "counts only: per-item data unavailable"}]


def test_cli_ties_flags() -> None:
    paired = json.loads(invoke("leaderboard", str(MMLU), "--ties", "paired", "-f", "json", "-q").stdout)
    assert paired["provenance"]["ties"].startswith("paired test")
    overlap = json.loads(invoke("leaderboard", str(MMLU), "--ties", "overlap", "-f", "json", "-q").stdout)
    assert overlap["provenance"]["ties"] == "interval overlap"
