"""Omni-MATH judge outputs (fixtures written from the documented layout: the official examples are Git-LFS)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import rescore
from rescore.adapters.omni_math import ADAPTER, parse_report
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import ROOT, invoke

FIXTURES = ROOT / "tests" / "fixtures" / "omni_math"
GPT = FIXTURES / "qwen-math-7b_gpteval.jsonl"
OMNI = FIXTURES / "qwen-math-7b_omni_judge.jsonl"


def test_gpt_judge_file() -> None:
    assert detect(GPT) is ADAPTER
    data = rescore.load(GPT)
    items = data.items
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "correct", "invalid", "invalid"]
    assert items["rule"].tolist()[2:] == ["no final answer", "explicit grade", "unparseable judge report",
                                          "unparseable judge report"]
    assert items["prediction"].tolist()[:2] == ["11", "1000"]
    assert items["gold"].tolist()[:2] == ["11", "1024"]
    assert set(items["model"]) == {"qwen-math-7b"} and set(items["run"]) == {"judge=gpt"}
    (metric,) = data.sources[0].producer_metrics["aggregates"]
    assert metric["accuracy"] == pytest.approx(2 / 4) and metric["n"] == 4  # official: drops the 2 unparseable
    assert (items["outcome"] == "correct").mean() == pytest.approx(2 / 6)  # rescore keeps them (invalid)
    assert "drops 2 unparseable" in metric["note"]


def test_omni_judge_file_and_both_judges_side_by_side(tmp_path: Path) -> None:
    assert detect(OMNI) is ADAPTER
    items = rescore.load(OMNI).items
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "correct"]
    assert set(items["run"]) == {"judge=omni-judge"}
    shutil.copy(GPT, tmp_path)
    shutil.copy(OMNI, tmp_path)
    data = rescore.load(tmp_path)
    assert sorted(set(data.items["model"])) == ["qwen-math-7b [judge=gpt]", "qwen-math-7b [judge=omni-judge]"]


def test_parse_report_matches_official_behaviour() -> None:
    report = "## Student Final Answer\n7\n\n## Equivalence Judgement\nTRUE\n\n## Justification\na\nb"
    assert parse_report(report) == {"Student Final Answer": "7", "Equivalence Judgement": "TRUE",
                                    "Justification": "a\nb"}
    assert parse_report("no sections") == {}


def test_bad_original_json_names_line_and_field(tmp_path: Path) -> None:
    lines = GPT.read_text().splitlines()
    record = json.loads(lines[1])
    record["original_json"] = "{not json"
    lines[1] = json.dumps(record)
    path = tmp_path / "m_gpteval.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert str(path) in str(err.value) and "line 2" in str(err.value) and "original_json" in str(err.value)
    assert invoke("leaderboard", str(path)).exit_code == 3
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 5 and data.sources[0].skipped_records == 1
