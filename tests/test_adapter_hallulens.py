"""HalluLens eval_results.json: PreciseWikiQA lists and the nonexistent-entity refusal test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError
from rescore.read.plugins import detect


def precise(folder: Path, abstain: list, halu: list, *, generations: bool = True) -> Path:
    """What PreciseQAEval.run_eval writes (json.dump(res, f, indent=4)) plus its generation.jsonl."""
    folder.mkdir(parents=True)
    n = len(abstain)
    refused = sum(a is True for a in abstain)
    res = {"model": "Llama-3.1-8B-Instruct",
           "halu_Rate": sum(1 for a, h in zip(abstain, halu, strict=False) if a is False and h) / max(1, n - refused),
           "refusal_rate": refused / n, "correct_rate": sum(1 for h in halu if not h) / n,
           "evaluator_abstantion": "meta-llama/Llama-3.1-70B-Instruct",
           "evaluator_hallucination": "meta-llama/Llama-3.1-70B-Instruct",
           "abstantion": abstain, "halu_test_res": halu,
           "abstantion_raw_generation": ['{"is_abstaining": false}'] * n,
           "is_hallucinated_raw_generation": ["CORRECT"] * n}
    path = folder / "eval_results.json"
    path.write_text(json.dumps(res, indent=4))
    if generations:
        (folder / "generation.jsonl").write_text("".join(
            json.dumps({"prompt": f"Q{i}?", "generation": f"answer {i}", "answer": f"gold {i}"}) + "\n"
            for i in range(n)))
    return path


def test_precise_wikiqa(tmp_path: Path) -> None:
    path = precise(tmp_path / "output" / "precise_wikiqa_goodwiki_dynamic" / "Llama-3.1-8B-Instruct",
                   [False, False, True, True], [False, True, True, False])
    assert detect(path).name == "hallulens"
    data = rescore.load(tmp_path)
    items = data.items
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "abstain"]
    assert set(items["benchmark"]) == {"hallulens_precise_wikiqa"}
    assert set(items["subset"]) == {"precise_wikiqa_goodwiki_dynamic"}
    assert set(items["model"]) == {"Llama-3.1-8B-Instruct"}
    assert items["response"].tolist()[0] == "answer 0" and items["gold"].tolist()[0] == "gold 0"
    assert any("1 item(s) judged abstaining and not hallucinated" in n for n in data.notes)
    assert [Path(p).name for p, _ in data.skipped] == ["generation.jsonl"]
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert metric["accuracy"] == 0.5 and metric["refusal_rate"] == 0.5


def test_refusal_test(tmp_path: Path) -> None:
    folder = tmp_path / "output" / "nonsense_mixed_entities" / "gpt-4o"
    folder.mkdir(parents=True)
    (folder / "eval_results.json").write_text(json.dumps(
        {"model": "gpt-4o", "false_acceptance_rate": 1 / 3, "refusal_rate": 2 / 3,
         "refusal_eval_raw": [True, False, True]}, indent=4))
    data = rescore.load(folder / "eval_results.json")
    assert data.items["outcome"].tolist() == ["abstain", "wrong", "abstain"]
    assert set(data.items["benchmark"]) == {"hallulens_nonexistent_entities"}
    assert data.items["rule"].tolist()[1] == "accepted a nonexistent entity"


def test_mismatched_lists_and_bad_values(tmp_path: Path) -> None:
    path = precise(tmp_path / "a" / "t" / "m", [False, True], [False], generations=False)
    with pytest.raises(InputError, match="differ in length"):
        rescore.load(path)
    path = precise(tmp_path / "b" / "t" / "m", [False, "yes"], [False, False], generations=False)
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert (err.value.record, err.value.field) == (1, "abstantion")
    assert len(rescore.load(path, on_error="skip").items) == 1
