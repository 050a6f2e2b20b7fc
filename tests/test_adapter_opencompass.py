"""OpenCompass predictions/ and results/ folders: details preferred, split files, compare fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError
from rescore.read.plugins import detect


def put(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    return path


def prediction(pred: str, gold: str) -> dict:
    return {"origin_prompt": [{"role": "HUMAN", "prompt": "Q?"}], "prediction": pred, "gold": gold}


def test_predictions_alone_are_compared_and_splits_merge(tmp_path: Path) -> None:
    root = tmp_path / "outputs" / "default" / "20240601_120000"
    put(root / "predictions" / "llama-3-8b-hf" / "gsm8k_0.json", {"0": prediction("18", "18"),
                                                                  "1": prediction("3", "4")})
    put(root / "predictions" / "llama-3-8b-hf" / "gsm8k_1.json", {"0": prediction("I don't know", "7")})
    put(root / "results" / "llama-3-8b-hf" / "gsm8k.json", {"accuracy": 33.33333333333333})
    assert detect(root / "predictions" / "llama-3-8b-hf" / "gsm8k_0.json").name == "opencompass"
    data = rescore.load(tmp_path)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"0": "correct", "1": "wrong", "2": "abstain"}
    assert set(items["model"]) == {"llama-3-8b-hf"} and set(items["benchmark"]) == {"gsm8k"}
    assert set(items["run"]) == {"20240601_120000"}
    assert items.loc["0", "rule"] == "prediction vs gold"
    reasons = dict(data.skipped)
    assert "split predictions" in reasons[str(root / "predictions" / "llama-3-8b-hf" / "gsm8k_1.json")]
    assert "without details" in reasons[str(root / "results" / "llama-3-8b-hf" / "gsm8k.json")]
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["accuracy"] == pytest.approx(1 / 3)
    assert any("no per-item details" in n for n in data.notes)


def test_results_details_are_preferred(tmp_path: Path) -> None:
    root = tmp_path / "20240601_120000"
    put(root / "predictions" / "qwen-7b" / "mmlu_pro_math.json", {"0": prediction("A", "A"),
                                                                  "1": prediction("B", "C")})
    put(root / "results" / "qwen-7b" / "mmlu_pro_math.json", {
        "accuracy": 50.0,
        "details": {"0": {"pred": "A", "answer": "A", "correct": True},
                    "1": {"pred": "B", "answer": "C", "correct": False}}})
    data = rescore.load(tmp_path)
    items = data.items
    assert items["outcome"].tolist() == ["correct", "wrong"] and set(items["rule"]) == {"explicit grade"}
    assert set(items["benchmark"]) == {"mmlu_pro"} and set(items["subset"]) == {"math"}
    skipped = dict(data.skipped)
    assert "details are read instead" in skipped[str(root / "predictions" / "qwen-7b" / "mmlu_pro_math.json")]
    assert data.sources[0].producer_metrics["aggregates"][0]["accuracy"] == 0.5


def test_details_list_with_repeated_samples(tmp_path: Path) -> None:
    path = put(tmp_path / "r" / "results" / "m" / "math.json", {
        "accuracy": 50.0, "details": [{"pred": ["1", "2"], "answer": "1", "correct": [True, False]}]})
    items = rescore.load(path).items
    assert items[["attempt", "outcome"]].values.tolist() == [[0, "correct"], [1, "wrong"]]


def test_missing_gold_names_record_and_field(tmp_path: Path) -> None:
    path = put(tmp_path / "r" / "predictions" / "m" / "ds.json", {"0": prediction("a", "a"),
                                                                  "1": {"prediction": "b"}})
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert (err.value.record, err.value.field) == ("1", "gold")
    assert rescore.load(path, on_error="skip").sources[0].skipped_records == 1
