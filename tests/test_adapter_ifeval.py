"""IFEval official checker outputs: strict/loose benchmarks, empty responses, mixed files, real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.adapters.ifeval import ADAPTER, prompt_id
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data, write_jsonl


def _rec(prompt: str, follows: list[bool], response: str = "some answer") -> dict:
    # keys in the checker's (alphabetical) order
    return {"follow_all_instructions": all(follows), "follow_instruction_list": follows,
            "instruction_id_list": [f"kw:{i}" for i in range(len(follows))], "prompt": prompt, "response": response}


def _write_run(folder: Path) -> None:
    folder.mkdir(parents=True)
    write_jsonl(folder / "eval_results_strict.jsonl", [
        _rec("p1", [True, True]), _rec("p2", [True, False]), _rec("p3", [False], response="  "),
        _rec("p4", [False], response="I don't know."),
    ])
    write_jsonl(folder / "eval_results_loose.jsonl", [
        _rec("p1", [True, True]), _rec("p2", [True, True]), _rec("p3", [False], response="  "),
        _rec("p4", [False], response="I don't know."),
    ])


def test_strict_and_loose_are_two_benchmarks(tmp_path: Path) -> None:
    _write_run(tmp_path / "acme__tiny-1b")
    assert detect(tmp_path / "acme__tiny-1b" / "eval_results_strict.jsonl") is ADAPTER
    data = rescore.load(tmp_path)
    items = data.items.set_index(["benchmark", "item_id"])
    assert set(data.items["model"]) == {"acme__tiny-1b"}
    strict = items.loc["ifeval_strict"]["outcome"].to_dict()
    loose = items.loc["ifeval_loose"]["outcome"].to_dict()
    ids = {p: prompt_id(p) for p in ("p1", "p2", "p3", "p4")}
    assert strict == {ids["p1"]: "correct", ids["p2"]: "wrong", ids["p3"]: "abstain", ids["p4"]: "abstain"}
    assert loose[ids["p2"]] == "correct"
    assert items.loc[("ifeval_strict", ids["p3"]), "rule"] == "empty response"
    labels = {(a["benchmark"], a["label"]): a for s in data.sources for a in s.producer_metrics["aggregates"]}
    strict_metric = labels[("ifeval_strict", "IFEval prompt-level strict accuracy")]
    assert strict_metric["accuracy"] == pytest.approx(1 / 4)
    assert strict_metric["instruction_level_accuracy"] == pytest.approx(3 / 6)
    board = json.loads(invoke("leaderboard", str(tmp_path), "--format", "json", "-t", "0").stdout)
    assert sorted(g["benchmark"] for g in board["groups"]) == ["ifeval_loose", "ifeval_strict"]


def test_mixed_strict_and_loose_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    rows = [_rec("p1", [True]), _rec("p2", [False]), _rec("p1", [True]), _rec("p2", [True])]
    path = write_jsonl(tmp_path / "run" / "eval_results_strict.jsonl", rows)
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert str(path) in str(err.value) and "line 3" in str(err.value) and "already on line 1" in str(err.value)
    assert invoke("leaderboard", str(path)).exit_code == 3
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 2 and data.sources[0].skipped_records == 2


def test_bad_record_names_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = write_jsonl(tmp_path / "m" / "eval_results_loose.jsonl", [
        _rec("p1", [True]), {**_rec("p2", [True]), "follow_all_instructions": "yes"}])
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert "line 2" in str(err.value) and "follow_all_instructions" in str(err.value)
    write_jsonl(path, [_rec("p1", [True]), {**_rec("p2", [False]), "follow_all_instructions": True}])
    with pytest.raises(InputError, match="disagrees"):
        rescore.load(path)


def test_model_from_file_prefix_and_variant_filter(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "gpt4o_eval_results_strict.jsonl", [_rec("p1", [True])])
    write_jsonl(tmp_path / "gpt4o_eval_results_loose.jsonl", [_rec("p1", [True])])
    data = rescore.load(tmp_path, ifeval_variant="loose")
    assert set(data.items["model"]) == {"gpt4o"} and set(data.items["benchmark"]) == {"ifeval_loose"}


@pytest.mark.parametrize(("model", "strict", "loose"), [("gpt4o", 80, 85), ("llama3", 69, 79)])
def test_real_checker_outputs(model: str, strict: int, loose: int) -> None:
    root = real_data("ifeval", model)
    data = rescore.load(root)
    for variant, n_correct in (("strict", strict), ("loose", loose)):
        raw = [json.loads(line) for line in (root / f"eval_results_{variant}.jsonl").read_text().splitlines()]
        sel = data.items[data.items["benchmark"] == f"ifeval_{variant}"]
        assert len(sel) == len(raw) == 100
        assert sum(r["follow_all_instructions"] for r in raw) == n_correct
        assert sel["outcome"].value_counts().to_dict() == {"correct": n_correct, "wrong": 100 - n_correct}
        assert set(sel["model"]) == {model}
    instructions = {a["benchmark"]: a["instruction_level_accuracy"] for s in data.sources
                    for a in s.producer_metrics["aggregates"]}
    raw = [json.loads(line) for line in (root / "eval_results_strict.jsonl").read_text().splitlines()]
    assert sum(len(r["instruction_id_list"]) for r in raw) == 161
    followed = sum(sum(r["follow_instruction_list"]) for r in raw)
    assert instructions["ifeval_strict"] == pytest.approx(followed / 161)
