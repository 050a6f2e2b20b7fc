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
    data = rescore.load(path, reextract=False)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"1": "correct", "2": "wrong", "3": "abstain", "4": "invalid", "5": "wrong"}
    assert items.loc["4", "rule"] == "no answer (output cut off)"  # no closing punctuation: never finished
    assert items.loc["3", "rule"] == "abstention phrase (final answer)"
    assert items["prediction"].isna().sum() == 2
    assert set(items["model"]) == {"Meta-Llama-3-8B"} and set(items["benchmark"]) == {"mmlu_pro"}
    assert sorted(items["subset"].unique()) == ["law", "math"]
    [metric] = data.sources[0].producer_metrics["aggregates"]
    hits = official_random_hit(4, 2) + official_random_hit(4, 3)
    assert metric["accuracy"] == pytest.approx((1 + hits) / 5)
    assert metric["null_expected_accuracy"] == pytest.approx((1 + 0.25 + 0.25) / 5)
    assert metric["null_preds"] == 2 and "random letter" in metric["note"]


def test_reextract_is_the_default_and_counts_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "model_outputs_m_5shots.json", RECORDS)
    data = rescore.load(path)
    items = data.items.set_index("item_id")
    # a null pred takes no lone letter: "probably D" unfinished, and the pronoun of "I don't know."
    assert items.loc["4", "outcome"] == "invalid"
    assert items.loc["3", "outcome"] == "abstain" and items.loc["3", "rule"] == "abstention phrase (final answer)"
    assert items.loc["5", "outcome"] == "invalid"  # the baked-in random letter is gone
    assert items.loc["5", "rule"] == "no answer in text (stored letter was the random fallback)"
    changes = data.sources[0].producer_metrics["reextract"]
    assert (changes["null_to_letter"], changes["letter_to_null"], changes["letter_to_other_letter"],
            changes["null_lone_letter"]) == (0, 1, 0, 2)
    assert any("official answer patterns re-applied" in n and "1 stored letter(s) with no answer" in n
               for n in data.notes)
    # an explicit answer statement is read from a null pred's text
    stated = write(tmp_path / "model_outputs_s_5shots.json", [record(1, "B", None, "Thus the answer is (B).")])
    assert rescore.load(stated).items["outcome"].tolist() == ["correct"]
    assert rescore.load(stated, reextract=False).items["outcome"].tolist() == ["invalid"]


def test_phrases_only_in_the_final_answer(tmp_path: Path) -> None:
    cut = "I'm not sure about the units, so let us compute. The energy is E = mc^2 and therefore the val"
    unsure_then_answer = "I don't know at first.\n\nAfter checking, the answer is (A)."
    declined = "Step 1 gives 4.\n\nI'm not sure; I cannot determine the answer."
    path = write(tmp_path / "model_outputs_m_5shots.json", [
        record(1, "A", None, cut), record(2, "A", None, declined),
        record(3, "A", None, "The answer is None of the options."), record(4, "A", "A", unsure_then_answer)])
    items = rescore.load(path).items.set_index("item_id")
    assert items["outcome"].to_dict() == {"1": "invalid", "2": "abstain", "3": "invalid", "4": "correct"}
    # the partial text's "I'm not sure" is listed as a disagreement, and changes nothing
    assert items.loc["1", "rule"] == "no answer (output cut off); abstention phrase disagrees"
    result = invoke("leaderboard", str(path), "--explain", "-f", "json", "-q")
    assert result.exit_code == 0
    # --explain shows the rule that decided each such record (issue 16, point 6); beside JSON, on stderr
    assert "no answer (output cut off); abstention phrase disagrees" in result.stderr
    table = " ".join(invoke("leaderboard", str(path), "--explain", "-q").stdout.split())
    assert "invalid no answer (output cut off); abstention phrase disagrees 1" in table
    assert "abstain abstention phrase (final answer) 1" in table


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


def test_stamped_api_layout_model_run_and_summary(tmp_path: Path) -> None:
    """A fork's {model}_{subject}_result_{timestamp}.json (tests/fixtures/real/mmlu_pro_tanaybaswa):
    the model is the name's prefix, the timestamp a run, the stamped summary the producer number."""
    for stamp, preds in (("20241128_095624", "AB"), ("20241128_100410", "AA")):
        write(tmp_path / f"gpt-4o_computer science_result_{stamp}.json",
              [record(1, "A", preds[0], f"The answer is ({preds[0]})", category="computer science"),
               record(2, "B", preds[1], f"The answer is ({preds[1]})", category="computer science")])
        correct = sum(p == a for p, a in zip(preds, "AB", strict=True))
        (tmp_path / f"gpt-4o_computer science_summary_{stamp}.json").write_text(json.dumps(
            {"total": {"corr": float(correct), "wrong": float(2 - correct), "acc": correct / 2}}))
    (tmp_path / "gpt-4o_overall_summary_20241128_100410.json").write_text("")  # left empty by a run
    data = rescore.load(tmp_path)
    counts = data.items.groupby("model")["outcome"].apply(lambda s: (s == "correct").sum()).to_dict()
    assert counts == {"gpt-4o [20241128_095624]": 2, "gpt-4o [20241128_100410]": 1}
    skipped = dict(data.skipped)
    assert sum(reason.startswith("MMLU-Pro summary") for reason in skipped.values()) == 3
    assert skipped[str(tmp_path / "gpt-4o_overall_summary_20241128_100410.json")] == (
        "MMLU-Pro summary (empty: the run wrote no numbers into it)")
    accuracies = sorted(m["accuracy"] for src in data.sources for m in src.producer_metrics["aggregates"])
    assert accuracies == [0.5, 1.0]


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
    # the skipped elements are named (index and value), not only counted
    assert any('skipped 2 top-level element(s) that are not records: [1] "other", [2] "total"' in n
               for n in data.notes)


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
    # the 26 null preds stay invalid (23 cut off mid-sentence), whatever the official lone-letter stage
    # would read into 10 of them (PROVENANCE: 26 records with pred null)
    assert (items["rule"] == "no answer (output cut off)").sum() == 23
    assert (items["rule"] == "extraction failure").sum() == 3
    assert items["outcome"].value_counts().to_dict() == {"wrong": 207, "correct": 117, "invalid": 26}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["null_preds"] == 26 and metric["accuracy"] == pytest.approx(124 / 350)
    changes = data.sources[0].producer_metrics["reextract"]
    assert (changes["null_to_letter"], changes["letter_to_null"], changes["letter_to_other_letter"],
            changes["null_lone_letter"]) == (0, 0, 0, 10)
    plain = _real("Meta-Llama-3-8B", reextract=False)
    assert plain.items["outcome"].value_counts().to_dict() == {"wrong": 207, "correct": 117, "invalid": 26}


def test_real_gemini_flash() -> None:
    data = _real("gemini-1.5-flash-002")
    items = data.items
    assert len(items) == 350 and set(items["model"]) == {"gemini-1.5-flash-002"}
    assert items["prediction"].isna().sum() == 4
    assert items["outcome"].value_counts().to_dict() == {"correct": 219, "wrong": 127, "abstain": 2, "invalid": 2}
    # the two abstentions end "we cannot determine/answer ... more information is needed"; the two
    # invalid ones state "The answer is None of the ..." (a claim, not an abstention)
    assert (items["rule"] == "abstention phrase (final answer)").sum() == 2
    assert not any(" 0 " in n for n in data.notes)  # no note counts zero
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["null_preds"] == 4 and metric["accuracy"] == pytest.approx(219 / 350)
    changes = data.sources[0].producer_metrics["reextract"]
    assert changes["changed"] == 0
    assert not any("official answer patterns re-applied" in n for n in data.notes)  # nothing to say
