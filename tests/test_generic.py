"""The generic table loader: inference, mapping, formats, counts-only, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rescore
from rescore.errors import InputError, UsageError
from rescore.read.schema import validate

from .conftest import write_jsonl

PLAIN = "model,question_id,pred,answer\nm1,q1,A,A\nm1,q2,B,C\nm1,q3,I don't know,D\nm2,q1,A,A\nm2,q2,C,C\nm2,q3,,D\n"


def test_plain_csv_needs_no_flags(tmp_path: Path) -> None:
    path = tmp_path / "gpqa.csv"
    path.write_text(PLAIN)
    data = rescore.load(path)
    items = data.items.sort_values(["model", "item_id"])
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "correct", "correct", "abstain"]
    assert set(items["benchmark"]) == {"gpqa"}
    assert items.loc[items["model"] == "m2", "rule"].tolist() == ["prediction vs gold"] * 2 + ["empty response"]
    joined = "\n".join(data.notes)
    inferred = next(note for note in data.notes if note.startswith(f"{path}: columns inferred: "))
    for expected in ("model <- 'model'", "item_id <- 'question_id'", "prediction <- 'pred'", "gold <- 'answer'"):
        assert expected in inferred
    assert "benchmark <- file name ('gpqa')" in joined


def test_explicit_correctness_column_and_grade_words(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "simpleqa.jsonl", [
        {"model": "m", "id": 1, "predicted": "x", "grade": "CORRECT"},
        {"model": "m", "id": 2, "predicted": "y", "grade": "INCORRECT"},
        {"model": "m", "id": 3, "predicted": "z", "grade": "NOT_ATTEMPTED"},
        {"model": "m", "id": 4, "predicted": "I don't know", "grade": "INCORRECT"},
    ])
    items = rescore.load(path).items
    # issue 16.11: the scale has NOT_ATTEMPTED, so the grader's INCORRECT stands against the phrase
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "wrong"]
    assert items["rule"].tolist()[-1] == "explicit grade; abstention phrase disagrees"


def test_a_text_column_named_correct_is_not_taken_for_a_grade(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "sqa.jsonl", [
        {"model": "m", "question_id": "a", "correct": "Paris", "grade": "CORRECT"},
        {"model": "m", "question_id": "b", "correct": "Rome", "grade": "INCORRECT"},
    ])
    data = rescore.load(path)
    assert data.items["outcome"].tolist() == ["correct", "wrong"]
    assert any("'correct' is not a grade column" in n for n in data.notes)


def test_flags_override_inference(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    pd.DataFrame({"who": ["a", "a", "b"], "qid": [1, 2, 1], "out": ["X", "Y", "X"], "ref": ["X", "X", "X"],
                  "p": [0.9, 0.2, 0.7]}).to_parquet(path)
    data = rescore.load(path, model_col="who", id_col="qid", pred_col="out", gold_col="ref", confidence_col="p",
                        benchmark="bench")
    items = data.items.sort_values(["model", "item_id"])
    assert items["outcome"].tolist() == ["correct", "wrong", "correct"]
    assert items["confidence"].tolist() == [0.9, 0.2, 0.7]
    assert set(items["benchmark"]) == {"bench"}


def test_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  model: who\n  item_id: qid\n  correct: ok\n")
    path = tmp_path / "t.csv"
    path.write_text("who,qid,ok\na,1,true\na,2,false\n")
    items = rescore.load(path, mapping=str(mapping)).items
    assert items["outcome"].tolist() == ["correct", "wrong"]


def test_json_shapes(tmp_path: Path) -> None:
    rows = [{"model": "m", "id": i, "correct": i % 2 == 0} for i in range(4)]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    (tmp_path / "b.json").write_text(json.dumps({"results": rows}))
    (tmp_path / "c.json").write_text(json.dumps(pd.DataFrame(rows).to_dict("list")))
    for name in ("a", "b", "c"):
        items = rescore.load(tmp_path / f"{name}.json").items
        assert items["outcome"].tolist() == ["correct", "wrong", "correct", "wrong"], name
    (tmp_path / "d.json").write_text(json.dumps(42))
    with pytest.raises(InputError, match="wrong shape"):
        rescore.load(tmp_path / "d.json")


def test_json_file_holding_several_values_reads_as_their_records(tmp_path: Path) -> None:
    """JSON Lines under a .json name, and lists json.dump-ed in append mode, as real IFEval folders
    hold (tests/fixtures/real/ifeval_kvcache); anything else after the first value stays an error."""
    rows = [{"model": "m", "id": i, "correct": i % 2 == 0} for i in range(4)]
    (tmp_path / "lines.json").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "appended.json").write_text(json.dumps(rows[:1]) + json.dumps(rows[1:3]) + "\n" + json.dumps(rows[3:]))
    for name in ("lines", "appended"):
        items = rescore.load(tmp_path / f"{name}.json").items
        assert items["outcome"].tolist() == ["correct", "wrong", "correct", "wrong"], name
    for bad in (json.dumps(rows) + " 42", json.dumps(rows) + " [1, 2]", json.dumps(rows) + " {oops"):
        (tmp_path / "bad.json").write_text(bad)
        with pytest.raises(InputError, match=r"invalid JSON \(Extra data"):
            rescore.load(tmp_path / "bad.json")


def test_item_id_from_row_number_and_percent_confidence(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    path.write_text("model,correct,confidence\nm,1,80%\nm,0,35\nm,1,\n")
    data = rescore.load(path)
    assert data.items["item_id"].tolist() == ["0", "1", "2"]
    conf = data.items["confidence"].tolist()
    assert conf[:2] == [0.8, 0.35] and np.isnan(conf[2])
    assert any("row number" in n for n in data.notes)
    assert any("percentage" in n for n in data.notes)


def test_counts_only_table(tmp_path: Path) -> None:
    path = tmp_path / "aggregates.csv"
    path.write_text("model,benchmark,n_correct,n_wrong,n_abstain\nm1,simpleqa,40,40,20\nm2,simpleqa,60,40,0\n")
    data = rescore.load(path)
    assert data.items.empty and len(data.counts) == 2
    board = rescore.leaderboard(data, [0.0, 0.5])
    row = board.rows[(board.rows["model"] == "m1") & (board.rows["t"] == 0.5)].iloc[0]
    assert row["score"] == pytest.approx(0.0)
    assert row["se"] == pytest.approx(rescore.score_counts(40, 40, 20, t=0.5)["se"])
    assert not board.groups["per_item"].any()
    assert any("per-item data unavailable" in n for n in board.notes)


def test_several_runs_are_kept_apart_or_latest(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct\nm,1,1\nm,2,0\n")
    items = rescore.load(path).items
    assert items["run"].isna().all()


# ---- bad input ------------------------------------------------------------------------------
def test_missing_file() -> None:
    with pytest.raises(InputError, match="file not found"):
        rescore.load("no/such/file.csv")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        rescore.load(tmp_path / "e.csv")


def test_missing_mapped_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(PLAIN)
    with pytest.raises(InputError, match="'nope'") as err:
        rescore.load(path, pred_col="nope")
    assert str(path) in str(err.value)


def test_non_numeric_confidence_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,0.5\nm,2,0,lots\n")
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert "line 3" in str(err.value) and "'confidence'" in str(err.value) and str(path) in str(err.value)


def test_confidence_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,150\n")
    with pytest.raises(InputError, match="outside"):
        rescore.load(path)


def test_bad_grade_value(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,correct\nm,1,1\nm,2,perhaps\n")
    with pytest.raises(InputError, match="perhaps"):
        rescore.load(path, correct_col="correct")


def test_truncated_jsonl_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"model": "m", "id": 1, "correct": true}\n{"model": "m", "id": 2, "corr')
    with pytest.raises(InputError, match="line 2"):
        rescore.load(path)
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 1 and data.sources[0].skipped_records == 1


def test_duplicate_keys_name_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,correct\nm,1,1\nm,1,0\n")
    with pytest.raises(InputError, match=r"repeat an earlier .* item_id=1 ") as caught:
        rescore.load(path)
    assert (caught.value.line, caught.value.field) == (3, "item_id")  # the CSV line of the repeat


_BAD_ROWS = pd.DataFrame({"model": ["m"] * 4, "id": ["a", "b", "c", "b"], "grade": ["1", "0", "maybe", "1"]})


def _write_table(frame: pd.DataFrame, path: Path) -> Path:
    writers = {".csv": lambda: frame.to_csv(path, index=False),
               ".jsonl": lambda: frame.to_json(path, orient="records", lines=True),
               ".json": lambda: frame.to_json(path, orient="records"),
               ".parquet": lambda: frame.to_parquet(path)}
    writers[path.suffix]()
    return path


@pytest.mark.parametrize("need_items", [True, False])
@pytest.mark.parametrize(("suffix", "third_row", "fourth_row"), [
    (".csv", {"line": 4}, {"line": 5}),  # line 1 is the header
    (".jsonl", {"line": 3}, {"line": 4}),
    (".json", {"record": 3}, {"record": 4}),  # one JSON document: the array element, from 1
    (".parquet", {"record": 3}, {"record": 4}),  # no lines in Parquet: the row, from 1
])
def test_errors_name_the_line_or_the_record(tmp_path: Path, suffix: str, third_row: dict, fourth_row: dict,
                                            need_items: bool) -> None:
    """A text table's error names the line to open; a JSON document's or Parquet file's names the
    record (1-based), never a "line" that does not exist. Both modes word it alike."""
    bad_grade = _write_table(_BAD_ROWS, tmp_path / f"grade{suffix}")
    with pytest.raises(InputError, match="not a grade") as caught:
        rescore.load(bad_grade, correct_col="grade", need_items=need_items)
    assert {k: getattr(caught.value, k) for k in ("line", "record") if getattr(caught.value, k)} == third_row
    repeated = _write_table(_BAD_ROWS.assign(grade=["1", "0", "0", "1"]), tmp_path / f"repeat{suffix}")
    with pytest.raises(InputError, match="repeat an earlier") as caught:
        rescore.load(repeated, correct_col="grade", need_items=need_items)
    assert {k: getattr(caught.value, k) for k in ("line", "record") if getattr(caught.value, k)} == fourth_row
    assert str(caught.value).startswith(f"{repeated}, {next(iter(fourth_row))} {next(iter(fourth_row.values()))}, ")


def test_no_model_column_names_the_model_by_file_stem_and_benchmark_by_folder(tmp_path: Path) -> None:
    """Issue 16.3: a per-model file has no model column; its name names the model, its folder the benchmark."""
    folder = tmp_path / "simpleqa"
    folder.mkdir()
    path = folder / "03_llama-3.1.jsonl"
    path.write_text('{"id": 1, "correct": 1}\n{"id": 2, "correct": 0}\n')
    data = rescore.load(path)
    assert set(data.items["model"]) == {"03_llama-3.1"}
    assert set(data.items["benchmark"]) == {"simpleqa"}
    assert any("model <- file name, benchmark <- folder name" in n for n in data.notes)
    swapped = rescore.load(path, model_from="parent", benchmark_from="stem")
    assert set(swapped.items["model"]) == {"simpleqa"} and set(swapped.items["benchmark"]) == {"03_llama-3.1"}


def test_no_correctness_information(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,notes\nm,1,hello\n")
    with pytest.raises(InputError, match="no correctness column"):
        rescore.load(path)


def test_unknown_file_in_a_folder_is_skipped_but_named_on_its_own_is_an_error(tmp_path: Path) -> None:
    """Issue 16.2: a folder's foreign files are skipped by default; named explicitly, exit 3."""
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    (tmp_path / "ok.csv").write_text("model,id,correct\nm,1,1\n")
    data = rescore.load(tmp_path)
    assert [(Path(p).name, r) for p, r in data.skipped] == [("x.bin", "no adapter recognises .bin files")]
    assert rescore.load(tmp_path, skip_unknown=True).skipped == data.skipped  # the kept no-op alias
    with pytest.raises(InputError, match="no adapter"):
        rescore.load(tmp_path / "x.bin")
    with pytest.raises(InputError, match="no adapter"):
        rescore.load(tmp_path / "x.bin", skip_unknown=True)


def test_unknown_format_hint_is_usage_error(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("model,id,correct\nm,1,1\n")
    with pytest.raises(UsageError, match="unknown format"):
        rescore.load(tmp_path, format_hint="nope")


def test_validate_rejects_unknown_outcomes_and_bad_confidence(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,0.5\nm,2,0,0.5\n")
    items = rescore.load(path).items
    broken = items.astype({"outcome": "string"})  # a loaded table holds outcomes as categories
    broken.loc[0, "outcome"] = "maybe"
    with pytest.raises(InputError, match="unknown outcome"):
        validate(broken)
    broken = items.copy()
    broken.loc[1, "confidence"] = 1.5
    with pytest.raises(InputError, match="outside"):
        validate(broken)


def test_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"model": "m", "id": 1, "correct": true}\n{"model": "\xff\xfe", "id": 2}\n')
    with pytest.raises(InputError, match="UTF-8"):
        rescore.load(path)


def test_reading_pauses_and_restores_the_cycle_collector(tmp_path: Path) -> None:
    import gc

    from rescore.read.per_file import read_one

    good = tmp_path / "g.csv"
    good.write_text("model,id,correct\nm,1,1\n")
    bad = tmp_path / "b.csv"
    bad.write_text("model,id,correct\nm,1,maybe\n")
    assert gc.isenabled()
    assert len(read_one(good, "generic", rescore.read.options.LoadOptions()).items) == 1
    assert gc.isenabled()
    with pytest.raises(InputError):
        read_one(bad, "generic", rescore.read.options.LoadOptions(correct_col="correct"))
    assert gc.isenabled()
    gc.disable()
    try:
        read_one(good, "generic", rescore.read.options.LoadOptions())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_dictionary_encoded_parquet_reads_as_plain_text_parquet(tmp_path: Path) -> None:
    # pandas writes a categorical as an Arrow dictionary; the reader decodes it before pandas sees it
    frame = pd.DataFrame({
        "model": ["m1", "m1", "m1", "m2", "m2", "m2"],
        "question_id": ["q1", "q2", "q3", "q1", "q2", "q3"],
        "grade": ["correct", "wrong", "correct", "not_attempted", "correct", None],
        "response": ["A", "B", "C", "I don't know", "A", ""],
        "category": ["x", "y", None, "x", "y", "y"],
    })
    plain, encoded = tmp_path / "plain" / "quiz.parquet", tmp_path / "encoded" / "quiz.parquet"
    plain.parent.mkdir()
    encoded.parent.mkdir()
    frame.to_parquet(plain)
    frame.astype({c: "category" for c in ("model", "grade", "category")}).to_parquet(encoded)
    assert pa.types.is_dictionary(pq.read_schema(encoded).field("model").type)
    want = rescore.load(plain).items.drop(columns=["source"])
    got = rescore.load(encoded).items.drop(columns=["source"])
    pd.testing.assert_frame_equal(got, want)
    assert want["outcome"].tolist()[:2] == ["correct", "wrong"]


@pytest.mark.parametrize("need_items", [True, False])
def test_a_jsonl_batch_without_a_roles_key_reads_its_values_as_missing(tmp_path: Path, need_items: bool) -> None:
    """The roles come from the first batch; a later batch in which no record has the confidence key
    (JSON lines: a batch's columns are its records' keys) reads as records without a confidence,
    as the same records do inside a batch. It raised KeyError: 'confidence'."""
    rows = [{"model": "m1", "item_id": i, "pred": "B", "answer": "B" if i % 3 else "C",
             **({"confidence": 0.5} if i == 0 else {})} for i in range(30)]
    path = write_jsonl(tmp_path / "runs.jsonl", rows)
    whole = rescore.load(path, need_items=need_items, batch_size=50_000)
    batched = rescore.load(path, need_items=need_items, batch_size=12)  # rows 12-29: batches without the key
    if need_items:
        assert len(batched.items) == 30 and int(batched.items["confidence"].notna().sum()) == 1
        confidences = [data.items["confidence"].reset_index(drop=True) for data in (batched, whole)]
        assert confidences[0].equals(confidences[1])
    board, reference = rescore.leaderboard(batched, [0.5]), rescore.leaderboard(whole, [0.5])
    assert board.rows[["model", "n", "score"]].equals(reference.rows[["model", "n", "score"]])
