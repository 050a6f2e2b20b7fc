"""WildBench score files: binarisation, empty outputs, dropped tasks, bad scores, WB-Score cross-check, real files."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

import rescore
from rescore.adapters.wildbench import ADAPTER
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data


def _rec(sid: str, score: str, output: str = "An answer.") -> dict:
    return {"session_id": sid, "parsed_result": {"strengths": "s", "weaknesses": "w", "score": score},
            "meta_data": {"batch_req_id": "b", "usage": {}, "error": None}, "model_test": "acme/chat-9b",
            "score": score, "model_output": output}


def _write(folder: Path, records: list[dict], name: str = "chat-9b.json") -> Path:
    judge = folder / "score.v2" / "eval=gpt-4o-2024-05-13"
    judge.mkdir(parents=True, exist_ok=True)
    path = judge / name
    path.write_text(json.dumps(records, indent=2))
    return path


RECORDS = [_rec("s1", "9"), _rec("s2", "7"), _rec("s3", "6"), _rec("s4", "3"), _rec("s5", "1", output=""),
           _rec("s6", "8", output="I don't know.")]


def test_binarised_at_the_default_pass_score(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORDS)
    assert detect(path) is ADAPTER
    data = rescore.load(path)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"s1": "correct", "s2": "correct", "s3": "wrong", "s4": "wrong",
                                          "s5": "abstain", "s6": "correct"}
    assert items.loc["s5", "rule"] == "empty response"
    assert set(data.items["model"]) == {"acme/chat-9b"}
    assert set(data.items["run"]) == {"judge=gpt-4o-2024-05-13"}
    assert any(">= 7 correct" in n for n in data.notes)
    (metric,) = data.sources[0].producer_metrics["aggregates"]
    mean = (9 + 7 + 6 + 3 + 1 + 8) / 6
    assert metric["accuracy"] is None and metric["mean_score"] == pytest.approx(mean)
    assert metric["wb_score"] == pytest.approx((mean - 5) * 2)


def test_pass_score_option(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORDS)
    items = rescore.load(path, pass_score=6).items.set_index("item_id")
    assert items.loc["s3", "outcome"] == "correct"
    result = invoke("leaderboard", str(path), "--pass-score", "9", "--format", "json", "-t", "0")
    group = json.loads(result.stdout)["groups"][0]
    # s6 ("I don't know.", 8) is now graded wrong, so classify reads it as an abstention
    assert (group["n_correct"], group["n_wrong"], group["n_abstain"]) == (1, 3, 2)
    # the flag also serves inspect_ai's 0..1 scores, so WildBench's own 1-10 scale is checked here
    for value in ("0.5", "11"):
        outside = invoke("leaderboard", str(path), "--pass-score", value, "-q")
        assert outside.exit_code == 2 and "--pass-score must be a number from 1 to 10 for WildBench" in outside.stderr


def test_dropped_tasks_are_counted_from_the_reference_list(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORDS)
    (path.parent / "session_ids.txt").write_text("\n".join(f"s{i}" for i in range(1, 9)) + "\n")
    data = rescore.load(tmp_path)
    items = data.items.set_index("item_id")
    assert len(items) == 8
    assert items.loc[["s7", "s8"], "outcome"].tolist() == ["invalid", "invalid"]
    assert set(items.loc[["s7", "s8"], "rule"]) == {"judge output dropped"}
    assert any("2 of 8 reference task(s) missing" in n for n in data.notes)
    data = rescore.load(path, reference_ids=["s1", "s2", "s9"])
    assert sorted(data.items["item_id"]) == ["s1", "s2", "s3", "s4", "s5", "s6", "s9"]


@pytest.mark.parametrize("bad", ["11", "0", "great", None])
def test_score_outside_1_to_10_is_an_error(tmp_path: Path, bad: str | None) -> None:
    records = [*RECORDS[:2], {**_rec("s3", "5"), "score": bad}]
    path = _write(tmp_path, records)
    with pytest.raises(InputError) as err:
        rescore.load(path)
    message = str(err.value)
    assert str(path) in message and "record 2 (session_id s3)" in message and "'score'" in message
    assert invoke("leaderboard", str(path)).exit_code == 3
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 2 and data.sources[0].skipped_records == 1


@pytest.mark.parametrize(("name", "model", "expected", "mean"), [
    ("reka-core-20240501.first200.json", "reka/reka-core-20240501", {"correct": 149, "wrong": 36, "abstain": 15},
     6.87),
    ("gpt-3.5-turbo-0125.first200.json", "openai/gpt-3.5-turbo-0125", {"correct": 148, "wrong": 52}, 7.085),
])
def test_real_score_files(name: str, model: str, expected: dict[str, int], mean: float) -> None:
    path = real_data("wildbench", "eval=gpt-4o-2024-05-13", name)
    raw = json.loads(path.read_text())
    hist = collections.Counter(r["score"] for r in raw)
    empty = sum(1 for r in raw if r["model_output"] == "")
    # independent count from the raw file: empties abstain, the rest pass at >= 7
    assert expected.get("abstain", 0) == empty
    assert expected["correct"] == sum(1 for r in raw if r["model_output"] != "" and int(r["score"]) >= 7)
    data = rescore.load(path)
    assert len(data.items) == len(raw) == 200
    assert data.items["outcome"].value_counts().to_dict() == expected
    assert set(data.items["model"]) == {model}
    (metric,) = data.sources[0].producer_metrics["aggregates"]
    assert metric["mean_score"] == pytest.approx(mean)
    assert metric["mean_score"] == pytest.approx(sum(int(s) * c for s, c in hist.items()) / 200)
    assert metric["wb_score"] == pytest.approx((mean - 5) * 2)
    six = rescore.load(path, pass_score=6).items["outcome"].value_counts()
    assert six["correct"] == sum(1 for r in raw if r["model_output"] != "" and int(r["score"]) >= 6)
