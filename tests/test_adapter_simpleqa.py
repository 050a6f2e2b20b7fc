"""SimpleQA grader outputs: third-party JSONL, the grade_letter variant, simple-evals aggregates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data, write_jsonl


def line(qid: str, grade: str, predicted: str | None, gold: str = "Paris", config: str = "acme/bold-70b",
         **extra) -> dict:
    return {"question_id": qid, "config": config, "grade": grade, "question": "?", "predicted": predicted,
            "correct": gold, "latency": 1.0, "timestamp": "2025-02-25_14-23-57", "attempt": 1, **extra}


LINES = [
    line("q1", "A", "It is Paris."),
    line("q2", "B", "It is Rome."),
    line("q3", "C", "The provided data does not contain this."),
    line("q4", "B", "I don't know."),
    line("q5", "C", "ERROR: Maximum retries exceeded due to timeouts", error="timeout", attempts=3),
]


def test_grader_jsonl_outcomes_model_and_gold_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "acme__bold-70b_results.jsonl", LINES)
    assert detect(path).name == "simpleqa"
    data = rescore.load(path)
    items = data.items.set_index("item_id")
    # q4: the grader said B although the reply is "I don't know": A/B/C has its own abstention (C), so
    # the grader's verdict stands and the rule says the phrases disagree (issue 16, point 11)
    assert items["outcome"].to_dict() == {"q1": "correct", "q2": "wrong", "q3": "abstain", "q4": "wrong",
                                          "q5": "invalid"}
    assert items.loc["q4", "rule"] == "explicit grade; abstention phrase disagrees"
    assert items.loc["q5", "rule"] == "harness error"
    assert items.loc["q1", "gold"] == "Paris"  # `correct` is the gold text, not a boolean
    assert set(items["model"]) == {"acme/bold-70b"} and set(items["benchmark"]) == {"simpleqa"}
    assert set(items["attempt"]) == {0}  # `attempt` counts API retries, not repeats
    assert any("harness error" in n for n in data.notes)


def test_summary_is_skipped_and_used_as_cross_check(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "run_20250101_120000_cfg_results.jsonl", LINES[:3])
    (tmp_path / "run_20250101_120000_cfg_summary.json").write_text(json.dumps(
        {"is_correct": 1 / 3, "is_incorrect": 1 / 3, "is_not_attempted": 1 / 3, "total_samples": 3,
         "correct_count": 1, "incorrect_count": 1, "not_attempted_count": 1}))
    data = rescore.load(tmp_path)
    assert len(data.items) == 3 and set(data.items["run"]) == {"20250101_120000"}
    assert next(r for p, r in data.skipped if p.endswith("_summary.json")).startswith("SimpleQA grader summary")
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert (metric["accuracy"], metric["n"], metric["correct"]) == (pytest.approx(1 / 3), 3, 1)


def test_bad_grade_names_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x_results.jsonl", [LINES[0], line("q9", "Z", "x"), LINES[1]])
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert (err.value.line, err.value.field) == (2, "grade")
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 2 and data.sources[0].skipped_records == 1
    assert invoke("leaderboard", str(path)).exit_code == 3


def test_grade_letter_document(tmp_path: Path) -> None:
    folder = tmp_path / "result" / "gpt-4o-mini" / "simpleqa_verified"
    folder.mkdir(parents=True)
    doc = {"model_config": {"model": "openai/gpt-4o-mini"}, "evaluator_config": {},
           "summary": {"total": 3, "correct": 1, "incorrect": 1, "not_attempted": 1},
           "results": [
               {"id": 1, "query": "?", "llm_answer": "Paris", "gold_answer": "Paris", "grade_letter": "A",
                "grade_str": "CORRECT", "is_correct": True, "topic": "Geography"},
               {"id": 2, "query": "?", "llm_answer": "Rome", "gold_answer": "Paris", "grade_letter": "B",
                "grade_str": "INCORRECT", "is_correct": False, "topic": "Geography"},
               {"id": 3, "query": "?", "llm_answer": "No idea", "gold_answer": "Paris", "grade_letter": "C",
                "grade_str": "NOT_ATTEMPTED", "is_correct": False, "topic": "Art"}]}
    path = folder / "20250301_101010.json"
    path.write_text(json.dumps(doc))
    assert detect(path).name == "simpleqa"
    data = rescore.load(path)
    items = data.items
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain"]
    assert set(items["model"]) == {"openai/gpt-4o-mini"} and set(items["benchmark"]) == {"simpleqa_verified"}
    assert items["subset"].tolist() == ["Geography", "Geography", "Art"]
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert (metric["accuracy"], metric["n"]) == (pytest.approx(1 / 3), 3)


def _simple_evals(folder: Path, stem: str, n: int, c: int, w: int, *, with_all: bool = True) -> Path:
    """The two files simple_evals.py writes per (eval, model): metrics and the full results."""
    folder.mkdir(parents=True, exist_ok=True)
    a = n - c - w
    metrics = {"is_correct": c / n, "is_correct:std": 0.5, "is_incorrect": w / n, "is_incorrect:std": 0.4,
               "is_not_attempted": a / n, "is_not_attempted:std": 0.3, "score": c / n, "score:std": 0.5}
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(dict(sorted(metrics.items())), indent=2))
    if with_all:
        full = {"score": c / n, "metrics": {k: v for k, v in metrics.items() if k != "score"},
                "htmls": ["<h3>Prompt conversation</h3>...<p>Score: True</p>"] * n,
                "convos": [[{"role": "user", "content": "?"}, {"role": "assistant", "content": "x"}]] * n,
                "metadata": {"example_level_metadata": [None] * n}}
        (folder / f"{stem}_allresults.json").write_text(json.dumps(full, indent=2))
    return path


def test_simple_evals_counts_only(tmp_path: Path) -> None:
    _simple_evals(tmp_path, "simpleqa_gpt-4o-mini-2024-07-18_20250301_101010", 7, 3, 2)
    data = rescore.load(tmp_path)
    assert data.items.empty
    row = data.counts.iloc[0]
    assert (row["model"], row["benchmark"]) == ("gpt-4o-mini-2024-07-18", "simpleqa")
    assert (row["n_correct"], row["n_wrong"], row["n_abstain"]) == (3, 2, 2)
    assert any("per-item grades are not saved by simple-evals" in n for n in data.notes)
    assert any(p.endswith("_allresults.json") for p, _ in data.skipped)
    assert data.sources[0].per_item is False
    board = rescore.leaderboard(data, thresholds=[0, 0.5])
    assert board.groups.iloc[0]["per_item"] == False  # noqa: E712 (numpy bool)
    assert board.rows.loc[board.rows["t"] == 0.5, "score"].iloc[0] == pytest.approx((3 - 2) / 7)


def test_simple_evals_allresults_alone_and_missing_n(tmp_path: Path) -> None:
    stem_file = _simple_evals(tmp_path / "a", "simpleqa_o1_DEBUG", 5, 2, 2)
    stem_file.unlink()
    data = rescore.load(tmp_path / "a")
    assert data.counts[["n_correct", "n_wrong", "n_abstain"]].iloc[0].tolist() == [2, 2, 1]
    assert set(data.counts["model"]) == {"o1"}
    lonely = _simple_evals(tmp_path / "b", "simpleqa_o1", 5, 2, 2, with_all=False)
    with pytest.raises(InputError, match="how many questions"):
        rescore.load(lonely)


def test_fractions_that_are_not_counts_are_rejected(tmp_path: Path) -> None:
    path = _simple_evals(tmp_path, "simpleqa_m", 4, 1, 1)
    doc = json.loads(path.read_text())
    doc["is_correct"] = 0.3
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert err.value.field == "is_correct"


# -- real files (Eyalbenba/eval-simpleQA) ------------------------------------------------------------
def test_real_tavily_slice_and_summary() -> None:
    folder = real_data("simpleqa_thirdparty_eyalbenba")
    path = folder / "tavily_advanced_advanced_results.first1000.jsonl"
    data = rescore.load(path)
    items = data.items
    assert len(items) == 1000 and set(items["model"]) == {"tavily_advanced_advanced"}
    explicit = items[items["rule"] == "explicit grade"]
    assert explicit["outcome"].value_counts().to_dict() == {"correct": 617, "abstain": 214, "wrong": 167}
    # two B-graded answers say the sources do not give the answer: the grader's B stands (its scale has C),
    # and the rule names the disagreement
    assert (items["rule"] == "explicit grade; abstention phrase disagrees").sum() == 2
    assert items["outcome"].value_counts().to_dict() == {"correct": 617, "abstain": 214, "wrong": 169}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert (metric["n"], metric["correct"], metric["incorrect"], metric["not_attempted"]) == (4326, 2644, 759, 923)


def test_real_ten_line_run_matches_its_summary() -> None:
    folder = real_data("simpleqa_thirdparty_eyalbenba")
    data = rescore.load(folder / "run_20250225_142658_tavily_basic_basic_results.jsonl")
    items = data.items
    assert len(items) == 10 and set(items["run"]) == {"20250225_142658"}
    assert items["outcome"].value_counts().to_dict() == {"correct": 8, "wrong": 2}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert (metric["accuracy"], metric["n"]) == (0.8, 10)
    assert metric["accuracy"] == (items["outcome"] == "correct").mean()
    whole = rescore.load(folder)
    assert len(whole.items) == 1010 and sum(1 for _, r in whole.skipped if "summary" in r) == 2
