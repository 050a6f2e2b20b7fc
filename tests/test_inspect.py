"""``rescore inspect``: per-file description, rule counts, cross-checks, JSON == library."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rescore.read.inspection import cross_checks, inspect_paths

from .conftest import SAMPLE, invoke

CAREFUL = SAMPLE / "mmlu_pro_mini" / "acme__careful-70b.jsonl"


def test_inspect_describes_a_file() -> None:
    report = inspect_paths([CAREFUL])[0]
    lines = [json.loads(line) for line in CAREFUL.read_text().splitlines()]
    expected_abstain = sum(1 for row in lines if row["pred"] == "")
    expected_correct = sum(1 for row in lines if row["pred"] and row["pred"] == row["answer"])
    assert report.adapter == "generic"
    assert report.items == len(lines)
    assert report.outcomes["abstain"] == expected_abstain
    assert report.outcomes["correct"] == expected_correct
    assert report.outcomes["wrong"] == len(lines) - expected_abstain - expected_correct
    assert {r["rule"] for r in report.rules} == {"abstention phrase", "prediction vs gold"}
    assert report.confidence["available"] and report.confidence["count"] == len(lines)
    assert len(report.examples) == 3 and report.models == ["acme/careful-70b"]


def test_inspect_json_equals_library() -> None:
    result = invoke("inspect", str(CAREFUL), "--format", "json", "--examples", "2")
    assert result.exit_code == 0, result.stderr
    expected = [r.to_dict() for r in inspect_paths([CAREFUL], examples=2)]
    document = json.loads(result.stdout)
    assert document["schema"] == "rescore.inspect" and document["schema_version"] == 1
    assert document["files"] == json.loads(json.dumps(expected))


def test_inspect_table_output_and_errors(tmp_path: Path) -> None:
    result = invoke("inspect", str(CAREFUL))
    assert result.exit_code == 0 and "how outcomes were decided" in result.stdout
    assert invoke("inspect", str(CAREFUL), "-f", "csv").exit_code == 2
    assert invoke("inspect", str(tmp_path / "missing.csv")).exit_code == 3
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    broken = invoke("inspect", str(tmp_path / "bad.jsonl"), "--on-error", "skip")
    assert broken.exit_code == 0


def test_cross_check_flags_mismatch_with_reason() -> None:
    items = pd.DataFrame({"benchmark": ["b"] * 4, "model": ["m"] * 4,
                          "outcome": ["correct", "correct", "wrong", "abstain"]})
    aggregates = [
        {"benchmark": "b", "model": "m", "label": "producer acc", "accuracy": 0.5, "n": 4},
        {"benchmark": "b", "model": "m", "label": "official", "accuracy": 0.6, "n": 4, "note": "random fallback"},
    ]
    ok, bad = cross_checks(items, aggregates)
    assert ok.match is True and ok.rescore_accuracy == 0.5
    assert bad.match is False and bad.note == "random fallback"


def test_formats_lists_every_adapter() -> None:
    from rescore.read.plugins import all_adapters

    result = invoke("formats", "--json")
    assert result.exit_code == 0
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names == [a.name for a in all_adapters()] and names[-1] == "generic"
    assert "generic" in invoke("formats").stdout


def test_cross_check_restricted_to_a_subset() -> None:
    items = pd.DataFrame({"benchmark": ["b"] * 4, "model": ["m"] * 4, "subset": ["x", "x", "y", "y"],
                          "outcome": ["correct", "correct", "wrong", "wrong"]})
    (check,) = cross_checks(items, [{"benchmark": "b", "model": "m", "subset": "x", "label": "x acc", "accuracy": 1.0}])
    assert check.match is True and check.n_rescore == 2


@pytest.mark.parametrize("command", ["inspect", "leaderboard"])
def test_a_file_that_is_only_a_companion_is_an_error_saying_why(command: str, tmp_path: Path) -> None:
    """A grader summary named alone (read only beside its results) used to make `inspect` print
    nothing and exit 0, and `leaderboard` say just "(1 skipped)": both now name the reason, exit 3."""
    summary = SAMPLE / "simpleqa_mini" / "acme__bold-70b_summary.json"
    result = invoke(command, str(summary))
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line == f"rescore: error: {summary}: no result files to read (1 skipped: SimpleQA grader summary " \
                   "(read with its _results.jsonl as the producer's own numbers))"
    (tmp_path / "notes.txt").write_text("a note\n")
    (tmp_path / "plot.png").write_bytes(b"\x89PNG")
    folder = invoke(command, str(tmp_path))
    assert folder.exit_code == 3 and "no result files to read (2 skipped: " in folder.stderr
    assert "; and 1 more)" in folder.stderr
