"""MMLU-Pro official outputs: detection, null preds, re-extraction, the official random fallback."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import rescore
from rescore.adapters.mmlu_pro import extract_answer, official_random_hit
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data

OPTIONS4 = ["w", "x", "y", "z"]


def record(qid: int, answer: str, pred: str | None, text: str, category: str = "math",
           options: list[str] | None = None, text_key: str = "generated_text") -> dict:
    options = options or OPTIONS4
    return {"question_id": qid, "question": f"q{qid}", "options": options, "answer": answer,
            "answer_index": "ABCDEFGHIJ".index(answer), "cot_content": "", "category": category, "src": "x",
            "pred": pred, text_key: text}


def write(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


RECORDS = [
    record(1, "A", "A", "The answer is (A)."),
    record(2, "B", "C", "The answer is (C)."),
    record(3, "C", None, "I don't know."),
    record(4, "D", None, "Hmm, the answer: maybe (B) or (D), probably D", category="law"),
    record(5, "A", "B", "no letter here at all", category="law"),  # a random letter baked into pred
]


def test_extractor_matches_the_official_three_stages() -> None:
    assert extract_answer("so the answer is (H).") == "H"
    assert extract_answer("Answer: C because") == "C"
    assert extract_answer("between B and then D.") == "D"
    assert extract_answer("nothing here") is None
    assert extract_answer(None) is None


def test_official_random_letter_is_reproduced() -> None:
    random.seed(12345)
    x = random.randint(0, 3)
    assert official_random_hit(4, x) is True
    assert official_random_hit(4, (x + 1) % 4) is False


def test_reads_outcomes_subsets_and_model_from_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "model_outputs_Meta-Llama-3-8B_5shots.json", RECORDS)
    assert detect(path).name == "mmlu_pro"
    data = rescore.load(path)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"1": "correct", "2": "wrong", "3": "abstain", "4": "invalid", "5": "wrong"}
    assert items.loc["4", "rule"] == "extraction failure"
    assert items.loc["3", "rule"] == "abstention phrase"
    assert items["prediction"].isna().sum() == 2
    assert set(items["model"]) == {"Meta-Llama-3-8B"} and set(items["benchmark"]) == {"mmlu_pro"}
    assert sorted(items["subset"].unique()) == ["law", "math"]
    [metric] = data.sources[0].producer_metrics["aggregates"]
    hits = official_random_hit(4, 2) + official_random_hit(4, 3)
    assert metric["accuracy"] == pytest.approx((1 + hits) / 5)
    assert metric["null_expected_accuracy"] == pytest.approx((1 + 0.25 + 0.25) / 5)
    assert metric["null_preds"] == 2 and "random letter" in metric["note"]


def test_reextract_counts_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "model_outputs_m_5shots.json", RECORDS)
    data = rescore.load(path, reextract=True)
    items = data.items.set_index("item_id")
    assert items.loc["4", "outcome"] == "correct"  # last standalone letter D
    assert items.loc["5", "outcome"] == "invalid"  # the baked-in random letter is gone
    # the official last-letter stage reads the pronoun in "I don't know." as option I
    assert (items.loc["3", "prediction"], items.loc["3", "outcome"]) == ("I", "wrong")
    changes = data.sources[0].producer_metrics["reextract"]
    assert (changes["null_to_letter"], changes["letter_to_null"], changes["letter_to_other_letter"]) == (2, 1, 0)
    assert any("changed 3 of 5 answers" in n for n in data.notes)


def test_api_layout_model_from_folder_and_summary_cross_check(tmp_path: Path) -> None:
    folder = tmp_path / "eval_results" / "gpt4o"
    write(folder / "math_result.json", [record(1, "A", "A", "The answer is (A)", text_key="model_outputs"),
                                        record(2, "B", "A", "The answer is (A)", text_key="model_outputs")])
    (folder / "math_summary.json").write_text(json.dumps(
        {"math": {"corr": 1.0, "wrong": 1.0, "acc": 0.5}, "total": {"corr": 1.0, "wrong": 1.0, "acc": 0.5}}))
    data = rescore.load(tmp_path)
    assert set(data.items["model"]) == {"gpt4o"}
    assert data.items["response"].notna().all()
    assert next(reason for path, reason in data.skipped if path.endswith("math_summary.json")).startswith("MMLU-Pro")
    labels = {m["label"]: m for m in data.sources[0].producer_metrics["aggregates"]}
    assert labels["MMLU-Pro math_summary.json total.acc"]["accuracy"] == 0.5
    assert labels["MMLU-Pro math_summary.json total.acc"]["n"] == 2


def test_local_layout_model_from_cot_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "results" / "Llama-2-7b-hf" / "CoT" / "all" / "computer science.json",
                 [record(1, "A", "A", "The answer is (A)")])
    data = rescore.load(path)
    assert set(data.items["model"]) == {"Llama-2-7b-hf"}


def test_stray_strings_are_skipped_and_noted(tmp_path: Path) -> None:
    path = write(tmp_path / "model_outputs_DeepSeek-Coder-V2_5shots.json",
                 [RECORDS[0], "other", "total", RECORDS[1]])
    data = rescore.load(path)
    assert len(data.items) == 2
    assert any("skipped 2 non-record element(s)" in n for n in data.notes)


def test_bad_record_names_file_record_and_field(tmp_path: Path) -> None:
    bad = dict(RECORDS[1])
    del bad["pred"]
    path = write(tmp_path / "model_outputs_m_5shots.json", [RECORDS[0], bad, RECORDS[2]])
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert (err.value.record, err.value.field) == (1, "pred")
    assert str(path) in str(err.value)
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 2 and data.sources[0].skipped_records == 1
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3 and "record 1" in result.stderr and "'pred'" in result.stderr


def test_not_detected_for_other_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"question_id": 1, "answer": "A", "pred": "A"}]))
    assert detect(path).name != "mmlu_pro"


# -- real files (TIGER-AI-Lab/MMLU-Pro eval_results, 25 per category) -----------------------------
def _real(name: str, **kwargs):
    path = real_data("mmlu_pro_official", f"model_outputs_{name}_5shots.strat25.json")
    return rescore.load(path, **kwargs)


def test_real_llama3_8b() -> None:
    data = _real("Meta-Llama-3-8B")
    items = data.items
    assert len(items) == 350 and items["subset"].nunique() == 14
    assert set(items["model"]) == {"Meta-Llama-3-8B"}
    assert (items["rule"] == "extraction failure").sum() == 26
    assert items["outcome"].value_counts().to_dict() == {"wrong": 207, "correct": 117, "invalid": 26}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["null_preds"] == 26 and metric["accuracy"] == pytest.approx(124 / 350)
    again = _real("Meta-Llama-3-8B", reextract=True)
    changes = again.sources[0].producer_metrics["reextract"]
    assert (changes["null_to_letter"], changes["letter_to_null"], changes["letter_to_other_letter"]) == (10, 0, 0)
    assert again.items["outcome"].value_counts().to_dict() == {"wrong": 215, "correct": 119, "invalid": 16}


def test_real_gemini_flash() -> None:
    data = _real("gemini-1.5-flash-002")
    items = data.items
    assert len(items) == 350 and set(items["model"]) == {"gemini-1.5-flash-002"}
    assert items["prediction"].isna().sum() == 4
    assert items["outcome"].value_counts().to_dict() == {"correct": 219, "wrong": 127, "abstain": 2, "invalid": 2}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["null_preds"] == 4 and metric["accuracy"] == pytest.approx(219 / 350)
    changes = _real("gemini-1.5-flash-002", reextract=True).sources[0].producer_metrics["reextract"]
    assert changes["changed"] == 0
