"""GPQA official baseline CSV logs: detection by header, extraction failures, question 69, the .log."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import rescore
from rescore.adapters.gpqa_csv import parse_log_name
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke

HEADER = ["Question id", "Question", "Correct answer", "Model answer", "Correct", "Model response"]
NO = "Couldn't find an answer choice!"


def write_log(folder: Path, name: str, rows: list[list], header: list[str] = HEADER) -> Path:
    """What run_baseline.py writes: csv.writer rows, True/False as Python prints them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


ROWS = [
    [0, "Q0?", "Paris", "Paris", True, "The answer is (A)"],
    [1, "Q1?", "Rome", "Oslo", False, "The answer is (C)"],
    [2, "Q2?", "Bern", NO, False, "I don't know which of these is right."],
    [3, "Q3?", "Kyiv", NO, False, "Let me think, option one or, hmm,\nit depends"],
    [69, "Q69?", "Lima", NO, False, ""],
]


def test_parse_log_name() -> None:
    assert parse_log_name("zero_shot_gpt-4_2024-01-02_03-04-05") == ("zero_shot", "gpt-4", "2024-01-02_03-04-05")
    assert parse_log_name("chain_of_thought_claude-2_2024-01-02_03-04-05")[:2] == ("chain_of_thought", "claude-2")
    assert parse_log_name("whatever") == (None, "whatever", None)


def test_outcomes_model_run_and_log_cross_check(tmp_path: Path) -> None:
    path = write_log(tmp_path / "logs", "zero_shot_gpt-4_2024-01-02_03-04-05.csv", ROWS)
    path.with_suffix(".log").write_text("INFO:root:...\nINFO:root:Accuracy: 0.2\nINFO:root:Refusal fraction: 0.6\n")
    assert detect(path).name == "gpqa_csv"
    data = rescore.load(tmp_path / "logs")
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"0": "correct", "1": "wrong", "2": "abstain", "3": "invalid",
                                          "69": "invalid"}
    assert items.loc["3", "rule"] == "extraction failure"
    assert items.loc["69", "rule"] == "not asked (upstream skips question 69)"
    assert items.loc["0", "gold"] == "Paris" and items["prediction"].isna().sum() == 3
    assert set(items["model"]) == {"gpt-4"} and set(items["benchmark"]) == {"gpqa"}
    assert set(items["run"]) == {"2024-01-02_03-04-05"}
    [metric] = data.sources[0].producer_metrics["aggregates"]
    assert (metric["accuracy"], metric["refusal_fraction"]) == (0.2, 0.6)
    assert any(p.endswith(".log") for p, _ in data.skipped)


def test_benchmark_flag_names_the_subset(tmp_path: Path) -> None:
    path = write_log(tmp_path, "zero_shot_gpt-4_2024-01-02_03-04-05.csv", ROWS[:2])
    items = rescore.load(path, benchmark="gpqa_diamond").items
    assert set(items["benchmark"]) == {"gpqa"} and set(items["subset"]) == {"diamond"}


def test_response_time_column_is_accepted(tmp_path: Path) -> None:
    path = write_log(tmp_path, "5_shot_m_2024-01-02_03-04-05.csv", [[*ROWS[0], 1.5]],
                     header=[*HEADER, "Response time (s)"])
    assert rescore.load(path).items["outcome"].tolist() == ["correct"]


def test_bad_correct_value(tmp_path: Path) -> None:
    path = write_log(tmp_path, "zero_shot_m_2024-01-02_03-04-05.csv", [ROWS[0], [1, "Q", "a", "b", "maybe", "x"]])
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert (err.value.line, err.value.field) == (3, "Correct")
    assert rescore.load(path, on_error="skip").sources[0].skipped_records == 1
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3 and "line 3" in result.stderr
