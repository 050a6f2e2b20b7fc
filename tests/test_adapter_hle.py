"""HLE judged files: verdicts, confidences (and the untrusted default 100), missing judgements, calib_err, real run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import rescore
from rescore.adapters.hle import ADAPTER, hle_calibration_error, stated_confidence
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data


def _verdict(correct: str, confidence: int, answer: str = "42", gold: str = "42") -> dict:
    return {"correct_answer": gold, "model_answer": answer, "reasoning": "...", "correct": correct,
            "confidence": confidence}


def _write_official(folder: Path) -> tuple[Path, Path]:
    """The official layout: hle_<model>.json + judged_hle_<model>.json.json."""
    responses = {
        "q1": "Explanation: easy\nAnswer: 42\nConfidence: 90%",
        "q2": "Answer: 7",  # no confidence line: the judge writes 100
        "q3": "I don't know.\nConfidence: 80%",
        "q4": "Explanation: long\n**Answer:** 12\n**Confidence:** 60%",
        "q5": "Answer: 3\nConfidence: 50%",  # never judged
    }
    preds = {q: {"model": "acme/solver-1", "response": r, "usage": {"total_tokens": 10}} for q, r in responses.items()}
    judged = {
        "q1": {**preds["q1"], "judge_response": _verdict("yes", 90)},
        "q2": {**preds["q2"], "judge_response": _verdict("no", 100, answer="7")},
        "q3": {**preds["q3"], "judge_response": _verdict("no", 80, answer="None")},
        "q4": {**preds["q4"], "judge_response": _verdict("yes", 60, answer="12", gold="12")},
    }
    pred_path = folder / "hle_solver-1.json"
    pred_path.write_text(json.dumps(preds, indent=4))
    judged_path = folder / "judged_hle_solver-1.json.json"
    judged_path.write_text(json.dumps(judged, indent=4))
    return pred_path, judged_path


def test_official_layout(tmp_path: Path) -> None:
    pred_path, judged_path = _write_official(tmp_path)
    assert detect(judged_path) is ADAPTER
    assert "companion of judged_hle_solver-1.json.json" in ADAPTER.skip_reason(pred_path)
    data = rescore.load(tmp_path)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"q1": "correct", "q2": "wrong", "q3": "abstain", "q4": "correct",
                                          "q5": "invalid"}
    assert items.loc["q3", "rule"] == "abstention phrase"  # classify read the raw response ("None" answer dropped)
    assert items.loc["q5", "rule"] == "missing judgement"
    assert items.loc["q1", "confidence"] == pytest.approx(0.9)
    assert math.isnan(items.loc["q2", "confidence"])  # judge default 100, no Confidence line: not trusted
    assert math.isnan(items.loc["q5", "confidence"])
    assert items.loc["q4", "confidence"] == pytest.approx(0.6)
    assert items.loc["q1", "gold"] == "42"
    assert set(data.items["model"]) == {"acme/solver-1"}
    info = data.sources[0]
    assert info.producer_metrics["hle_confidence"] == {"default_100_untrusted": 1, "judge_vs_stated_disagree": 0}
    assert any("1 judge confidence(s) of 100 with no 'Confidence:' line" in n for n in info.notes)
    labels = {a["label"]: a for a in info.producer_metrics["aggregates"]}
    assert labels["HLE accuracy (never-judged = wrong)"]["accuracy"] == pytest.approx(2 / 5)
    assert labels["HLE accuracy over judged items only"]["accuracy"] == pytest.approx(2 / 4)
    assert labels["HLE accuracy (never-judged = wrong)"]["calibration_error"] is None


def test_judged_file_alone_is_read_with_a_note(tmp_path: Path) -> None:
    pred_path, judged_path = _write_official(tmp_path)
    pred_path.unlink()
    data = rescore.load(judged_path)
    assert len(data.items) == 4
    assert any("never judged" in n and "cannot be detected" in n for n in data.notes)


def test_predictions_without_judged_file_are_skipped_with_reason(tmp_path: Path) -> None:
    pred_path, judged_path = _write_official(tmp_path)
    judged_path.unlink()
    assert "without a judged file" in ADAPTER.skip_reason(pred_path)
    result = invoke("leaderboard", str(tmp_path))
    assert result.exit_code == 3 and "no result files" in result.stderr


def test_bad_verdict_names_file_record_and_field(tmp_path: Path) -> None:
    _, judged_path = _write_official(tmp_path)
    doc = json.loads(judged_path.read_text())
    doc["q2"]["judge_response"]["correct"] = "maybe"
    judged_path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        rescore.load(judged_path)
    message = str(err.value)
    assert str(judged_path) in message and "record q2" in message and "judge_response.correct" in message
    data = rescore.load(judged_path, on_error="skip")
    assert data.sources[0].skipped_records == 1 and "q2" not in set(data.items["item_id"])
    doc["q2"]["judge_response"].update(correct="no", confidence=150)
    judged_path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="confidence"):
        rescore.load(judged_path)


def test_stated_confidence() -> None:
    assert stated_confidence("Answer: 1\nConfidence: 85%") == 85
    assert stated_confidence("**Confidence:** 70 %") == 70
    assert stated_confidence("Answer: 1") is None


def test_calibration_error_reproduces_hle_binning() -> None:
    # 250 items, bins [0,100) and [100,250); only the first (lowest-confidence) bin is counted (official quirk)
    conf = np.r_[np.full(100, 0.5), np.full(150, 0.9)]
    correct = np.r_[np.zeros(100), np.zeros(150)]
    assert hle_calibration_error(conf, correct) == pytest.approx(100 * round(math.sqrt(100 / 250 * 0.25), 2))
    every_bin = math.sqrt(100 / 250 * 0.25 + 150 / 250 * 0.81)
    assert hle_calibration_error(conf, correct, skip_last=False) == pytest.approx(100 * round(every_bin, 2))
    # 100-199 items: one bin, which the loop skips -> always 0
    assert hle_calibration_error(np.full(150, 0.9), np.zeros(150)) == 0
    assert hle_calibration_error(np.full(99, 0.9), np.zeros(99)) is None


def test_real_judged_file() -> None:
    root = real_data("hle")
    preds = json.loads((root / "hle_deepseek-r1-distill-llama-70b.json").read_text())
    judged = json.loads((root / "judged_deepseek-r1-distill-llama-70b.json").read_text())
    data = rescore.load(root)
    items = data.items.set_index("item_id")
    assert len(items) == len(preds) == 10
    assert items["outcome"].value_counts().to_dict() == {"wrong": 4, "invalid": 4, "correct": 2}
    yes = {q for q, r in judged.items() if r["judge_response"]["correct"] == "yes"}
    assert set(items.index[items["outcome"] == "correct"]) == yes
    assert set(items.index[items["rule"] == "missing judgement"]) == set(preds) - set(judged)
    assert sorted(items["confidence"].dropna().round(2).tolist()) == [0.7, 0.8, 0.8, 0.8, 0.9, 0.9]
    assert set(data.items["model"]) == {"deepseek-r1-distill-llama-70b"}
    info = data.sources[0]
    labels = {a["label"]: a for a in info.producer_metrics["aggregates"]}
    assert labels["HLE accuracy (never-judged = wrong)"]["accuracy"] == pytest.approx(0.2)
    assert (items["outcome"] == "correct").mean() == pytest.approx(0.2)  # the cross-check agrees
    assert labels["HLE accuracy over judged items only"]["accuracy"] == pytest.approx(2 / 6)
    assert info.producer_metrics["hle_confidence"]["default_100_untrusted"] == 0
    assert any("4 judged response(s) differ" in n for n in info.notes)


def test_calibration_error_is_recorded_for_a_large_judged_file(tmp_path: Path) -> None:
    judged = {f"q{i:03d}": {"response": f"Answer: {i}\nConfidence: {50 if i < 100 else 90}%",
                            "judge_response": _verdict("yes" if i % 2 else "no", 50 if i < 100 else 90)}
              for i in range(210)}
    path = tmp_path / "judged_hle_big.json.json"
    path.write_text(json.dumps(judged))
    data = rescore.load(path)
    (metric,) = data.sources[0].producer_metrics["aggregates"]
    # bins [0,100) conf .5 acc .5 and [100,210) conf .9 acc .5: HLE counts only the first
    assert metric["calibration_error"] == 0
    assert metric["calibration_error_all_bins"] == pytest.approx(100 * round(math.sqrt(110 / 210 * 0.16), 2))
    assert set(data.items["model"]) == {"big"}
