"""lighteval adapter: current struct layout and older flat layout, path identity, results companion, real files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rescore.errors import InputError, UsageError
from rescore.read.assemble import plan
from rescore.read.load import load
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one
from rescore.read.plugins import detect, get_adapter

from .conftest import invoke, real_data

TS = "2025-01-02T03-04-05.678901"
LETTERS = [" A", " B", " C", " D"]


def _current_row(doc_id: str, gold: int, logliks: list[float] | None, text: str | None, metric: dict[str, Any],
                 task: str = "lighteval|gpqa:diamond|0") -> dict[str, Any]:
    return {
        "doc": {"query": "Q?", "choices": LETTERS if logliks is not None else ["B"], "gold_index": gold,
                "id": doc_id, "task_name": task, "specific": None},
        "model_response": {"input": "Q?", "text": [text] if text is not None else [],
                           "text_post_processed": [text.strip()] if text is not None else [],
                           "logprobs": logliks or [], "argmax_logits_eq_gold": []},
        "metric": metric,
    }


def write_current(root: Path, rows: list[dict], *, model: str = "acme/mini", task: str = "lighteval|gpqa:diamond|0",
                  results: dict | None = None) -> Path:
    folder = root / "details" / model / TS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"details_{task}_{TS}.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    if results is not None:
        res = root / "results" / model
        res.mkdir(parents=True, exist_ok=True)
        (res / f"results_{TS}.json").write_text(json.dumps(results))
    return path


def _mc_rows() -> list[dict]:
    # deliberately not in id order; doc.id is the item id
    return [
        _current_row("3", 2, [-3.0, -2.0, -0.1, -4.0], None, {"acc": 1}),
        _current_row("0", 0, [-0.5, -0.7, -3.0, -3.0], None, {"acc": 1}),
        _current_row("2", 1, [-0.2, -2.5, -2.5, -2.5], None, {"acc": 0}),
        _current_row("1", 3, [-1.0, -1.0, -1.1, -1.2], None, {"acc": 0}),
    ]


def _softmax_top(values: list[float]) -> float:
    top = max(values)
    return 1.0 / sum(math.exp(v - top) for v in values)


def _results(task: str, metric: str, value: float, model: str = "acme/mini") -> dict:
    return {"config_general": {"model_name": model, "lighteval_sha": "?"},
            "results": {task: {metric: value, f"{metric}_stderr": 0.1}, "all": {metric: value}}}


def test_current_layout_mc(tmp_path: Path) -> None:
    path = write_current(tmp_path, _mc_rows(), results=_results("lighteval|gpqa:diamond|0", "acc", 0.5))
    assert detect(path) is get_adapter("lighteval")
    result = read_one(path, "lighteval", LoadOptions())
    items = result.items.set_index("item_id").sort_index()
    assert items.index.tolist() == ["0", "1", "2", "3"]
    assert items["outcome"].to_dict() == {"0": "correct", "1": "wrong", "2": "wrong", "3": "correct"}
    assert set(items["model"]) == {"acme/mini"}
    assert set(items["benchmark"]) == {"gpqa"} and set(items["subset"]) == {"diamond"}
    assert set(items["run"]) == {TS}
    assert items.loc["3", "prediction"] == "C" and items.loc["3", "gold"] == "C"
    assert items.loc["2", "prediction"] == "A" and items.loc["2", "gold"] == "B"
    assert items.loc["1", "confidence"] == pytest.approx(_softmax_top([-1.0, -1.0, -1.1, -1.2]))
    assert items.loc["0", "confidence"] == pytest.approx(_softmax_top([-0.5, -0.7, -3.0, -3.0]))
    assert list(items.loc["3", "choice_logliks"]) == [-3.0, -2.0, -0.1, -4.0]
    [agg] = result.info.producer_metrics["aggregates"]
    assert (agg["benchmark"], agg["model"], agg["accuracy"], agg["n"]) == ("gpqa", "acme/mini", 0.5, 4)
    assert agg["label"] == "lighteval lighteval|gpqa:diamond|0 acc"
    assert result.info.companions == [str(tmp_path / "results" / "acme/mini" / f"results_{TS}.json")]


def test_results_json_is_a_companion_and_names_the_model(tmp_path: Path) -> None:
    write_current(tmp_path, _mc_rows(), results=_results("lighteval|gpqa:diamond|0", "acc", 0.5,
                                                            model="Acme/Mini-Official"))
    chosen, skipped = plan([tmp_path], LoadOptions())
    assert [a.name for _, a in chosen] == ["lighteval"]
    assert len(skipped) == 1 and "lighteval results summary" in skipped[0][1]
    data = load(tmp_path)
    assert set(data.items["model"]) == {"Acme/Mini-Official"}  # config_general.model_name wins over the path


def test_current_layout_generative_and_metric_choice(tmp_path: Path) -> None:
    rows = [
        _current_row("a", 0, None, "B", {"em": 1, "f1": 1.0}, task="synth_gen|0"),
        _current_row("b", 0, None, " C ", {"em": 0, "f1": 0.5}, task="synth_gen|0"),
        _current_row("c", 0, None, "I don't know.", {"em": 0, "f1": 0.0}, task="synth_gen|0"),
    ]
    path = write_current(tmp_path, rows, model="solo", task="synth_gen|0")
    result = read_one(path, "lighteval", LoadOptions())
    items = result.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"a": "correct", "b": "wrong", "c": "abstain"}
    assert items.loc["c", "rule"] == "abstention phrase"
    assert items.loc["b", "prediction"] == "C" and items.loc["b", "response"] == " C "
    assert set(items["model"]) == {"solo"} and set(items["benchmark"]) == {"synth_gen"}
    assert items["confidence"].isna().all()
    assert any("metric 'em' grades items (of em, f1)" in n for n in result.info.notes)
    f1 = read_one(path, "lighteval", LoadOptions(scorer="f1")).items.set_index("item_id")
    assert f1["outcome"].to_dict() == {"a": "correct", "b": "partial", "c": "abstain"}
    with pytest.raises(UsageError, match="available: em, f1"):
        read_one(path, "lighteval", LoadOptions(scorer="bleu"))


def _flat_table(predictions: list, metrics: list, *, strings: bool = False) -> pa.Table:
    """The older flat layout (lighteval <= 0.8 / Open LLM Leaderboard details), from formats.md's field list."""
    n = len(predictions)
    columns: dict[str, Any] = {
        "example": [f"Question {i}?" for i in range(n)],
        "full_prompt": [f"Question {i}?\nAnswer:" for i in range(n)],
        "predictions": [repr(p) for p in predictions] if strings else predictions,
        "gold": [["B"] for _ in range(n)],
        "gold_index": [1] * n,
        "choices": [["A", "B", "C"] for _ in range(n)],
        "metrics": [json.dumps(m) for m in metrics] if strings else metrics,
        "specifics": [json.dumps({}) for _ in range(n)],
        "input_tokens": [[1, 2] for _ in range(n)],
        "cont_tokens": [[3] for _ in range(n)],
        "truncated": [0] * n,
        "padded": [0] * n,
        "num_asked_few_shots": [0] * n,
        "num_effective_few_shots": [0] * n,
        "instruction": [""] * n,
        "target_delimiter": [" "] * n,
    }
    return pa.table(columns)


@pytest.mark.parametrize("strings", [False, True], ids=["typed", "stringified"])
def test_flat_layout_mc(tmp_path: Path, strings: bool) -> None:
    preds = [[[-2.0, 0.0], [-0.1, 1.0], [-3.0, 0.0]],   # argmax B = gold
             [[-0.2, 1.0], [-1.5, 0.0], [-3.0, 0.0]],   # argmax A
             [[-1.0, 0.0], [-1.2, 0.0], [-0.9, 1.0]]]   # argmax C
    metrics = [{"acc": 1.0, "acc_norm": 1.0}, {"acc": 0.0, "acc_norm": 0.0}, {"acc": 0.0, "acc_norm": 1.0}]
    folder = tmp_path / "details" / "org" / "old-model" / TS
    folder.mkdir(parents=True)
    path = folder / f"details_harness|arc:challenge|25_{TS}.parquet"
    pq.write_table(_flat_table(preds, metrics, strings=strings), path)
    assert detect(path) is get_adapter("lighteval")
    result = read_one(path, "lighteval", LoadOptions())
    items = result.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"0": "correct", "1": "wrong", "2": "wrong"}
    assert items["prediction"].tolist() == ["B", "A", "C"] and set(items["gold"]) == {"B"}
    assert items.loc["0", "confidence"] == pytest.approx(_softmax_top([-2.0, -0.1, -3.0]))
    assert set(items["model"]) == {"org/old-model"}
    assert set(items["benchmark"]) == {"arc"} and set(items["subset"]) == {"challenge"}
    assert any("row number" in n for n in result.info.notes)
    norm = read_one(path, "lighteval", LoadOptions(scorer="acc_norm")).items
    assert norm["outcome"].tolist() == ["correct", "wrong", "correct"]


def test_flat_layout_generative(tmp_path: Path) -> None:
    table = _flat_table([["B"], ["I don't know"], ["The answer is B"]],
                        [{"em": 1.0}, {"em": 0.0}, {"em": 0.0}])
    folder = tmp_path / "details" / "m" / TS
    folder.mkdir(parents=True)
    path = folder / f"details_lighteval|triviaqa|0_{TS}.parquet"
    pq.write_table(table, path)
    items = read_one(path, "lighteval", LoadOptions()).items
    # the gold is a letter and "The answer is B" is none: a format failure, invalid (issue 16), not wrong
    assert items["outcome"].tolist() == ["correct", "abstain", "invalid"]
    assert items["rule"].tolist()[2] == "extraction failure (letter task, no letter in the reply)"
    assert items["response"].tolist() == ["B", "I don't know", "The answer is B"]
    assert set(items["benchmark"]) == {"triviaqa"} and set(items["model"]) == {"m"}


def test_missing_columns_is_an_input_error(tmp_path: Path) -> None:
    folder = tmp_path / "details" / "m" / TS
    folder.mkdir(parents=True)
    path = folder / f"details_synth|0_{TS}.parquet"
    rows = _mc_rows()
    pq.write_table(pa.Table.from_pylist([{"doc": r["doc"], "metric": r["metric"]} for r in rows]), path)
    assert detect(path) is get_adapter("lighteval")  # claimed by name, so the error can be precise
    with pytest.raises(InputError, match="model_response") as info:
        read_one(path, "lighteval", LoadOptions())
    assert str(path) in str(info.value)
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3
    assert "model_response" in result.stderr and "Traceback" not in result.stderr


def test_struct_missing_field_and_bad_metric(tmp_path: Path) -> None:
    rows = _mc_rows()
    for r in rows:
        del r["model_response"]["logprobs"]
    path = write_current(tmp_path / "a", rows)
    with pytest.raises(InputError, match="lacks field 'logprobs'"):
        read_one(path, "lighteval", LoadOptions())
    rows = _mc_rows()
    rows[1]["metric"] = {"acc": 7}
    path = write_current(tmp_path / "b", rows)
    with pytest.raises(InputError, match="not a 0-1 grade") as info:
        read_one(path, "lighteval", LoadOptions())
    assert "record 0" in str(info.value) and "metric.acc" in str(info.value)


def test_model_needed_outside_the_details_layout(tmp_path: Path) -> None:
    path = tmp_path / "details_synth|0_x.parquet"
    pq.write_table(pa.Table.from_pylist(_mc_rows()), path)
    with pytest.raises(InputError, match="--model"):
        read_one(path, "lighteval", LoadOptions())
    items = read_one(path, "lighteval", LoadOptions(model="me/it")).items
    assert set(items["model"]) == {"me/it"} and set(items["benchmark"]) == {"gpqa"}  # task from doc.task_name


# -- real files (shared/real_data/generated/lighteval) -------------------------------------------------

LE = ("generated", "lighteval", "details")
STRONG = (*LE, "mockorg", "le-strong", "2026-11-23T18-11-30.616996")
WEAK = (*LE, "le-weak", "2026-11-23T18-11-51.971648")
# PROVENANCE.md truth: gen le-strong 87/7/11/15, le-weak 30/45/29/16 (correct/wrong/abstain/invalid): "The answer
# is X" on a letter task is a format failure, invalid (issue 16), which gives exactly the truth.
REAL = [
    ((*STRONG, "details_synth_gen|0_2026-11-23T18-11-30.616996.parquet"),
     "mockorg/le-strong", "synth_gen", {"correct": 87, "wrong": 7, "abstain": 11, "invalid": 15}, "em", 0.725),
    ((*STRONG, "details_synth_mc|0_2026-11-23T18-11-30.616996.parquet"),
     "mockorg/le-strong", "synth_mc", {"correct": 85, "wrong": 35}, "acc", 0.7083333333333334),
    ((*WEAK, "details_synth_gen|0_2026-11-23T18-11-51.971648.parquet"),
     "le-weak", "synth_gen", {"correct": 30, "wrong": 45, "abstain": 29, "invalid": 16}, "em", 0.25),
    ((*WEAK, "details_synth_mc|0_2026-11-23T18-11-51.971648.parquet"),
     "le-weak", "synth_mc", {"correct": 35, "wrong": 85}, "acc", 0.2916666666666667),
]


@pytest.mark.real_data
@pytest.mark.parametrize(("parts", "model", "benchmark", "expected", "metric", "producer"), REAL,
                         ids=[r[0][-1][:24] + r[1] for r in REAL])
def test_real_details_exact_counts(parts: tuple[str, ...], model: str, benchmark: str, expected: dict[str, int],
                                   metric: str, producer: float) -> None:
    path = real_data(*parts)
    assert detect(path) is get_adapter("lighteval")
    result = read_one(path, "lighteval", LoadOptions())
    items = result.items
    assert items["outcome"].value_counts().to_dict() == expected
    assert set(items["model"]) == {model} and set(items["benchmark"]) == {benchmark}
    assert set(items["run"]) == {parts[-2]}
    # independent check from the raw columns with pyarrow
    raw = pq.read_table(path).to_pylist()
    assert len(items) == len(raw) == 120
    assert sorted(items["item_id"]) == sorted(r["doc"]["id"] for r in raw)
    assert expected["correct"] == sum(r["metric"][metric] for r in raw)
    if metric == "acc":
        argmax = [max(range(10), key=r["model_response"]["logprobs"].__getitem__) for r in raw]
        argmax_right = sum(a == r["doc"]["gold_index"] for a, r in zip(argmax, raw, strict=True))
        assert argmax_right == expected["correct"]
        assert items["confidence"].between(0.1, 1.0).all()
    else:
        assert expected.get("abstain", 0) == sum(r["model_response"]["text"][0] == "I don't know." for r in raw)
        assert items["confidence"].isna().all()
    [agg] = result.info.producer_metrics["aggregates"]
    assert agg["accuracy"] == pytest.approx(producer)
    assert agg["accuracy"] == pytest.approx((items["outcome"] == "correct").mean())


@pytest.mark.real_data
def test_real_folder_skips_results_and_ranks() -> None:
    root = real_data("generated", "lighteval")
    chosen, skipped = plan([root], LoadOptions())
    assert len(chosen) == 4
    assert sum("lighteval results summary" in why for _, why in skipped) == 2
    result = invoke("leaderboard", str(root), "--format", "json", "-q")
    assert result.exit_code == 0
    groups = {(g["benchmark"], g["model"]): g["n"] for g in json.loads(result.stdout)["groups"]}
    assert groups == {("synth_gen", "le-weak"): 120, ("synth_gen", "mockorg/le-strong"): 120,
                      ("synth_mc", "le-weak"): 120, ("synth_mc", "mockorg/le-strong"): 120}
