"""The columnar counts paths against the general reader on random tables (hypothesis).

A fast path may give up (``None``) whenever it likes, but when it answers, its counts, notes and
key hashes must be the general reader's, and the general reader must not have refused the file.
Example tests pin known cases (``test_batch.py``, ``test_lm_eval_fast.py``); these draw tables
with the awkward parts mixed: blanks, nulls, unknown grades, repeated and numeric ids,
abstention phrases, several grade-like columns, numbers and booleans as grades.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rescore
from rescore.adapters.generic.fast import count_generic_parquet
from rescore.adapters.generic.fast_text import count_generic_table
from rescore.errors import InputError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read.options import LoadOptions
from rescore.read.per_file import count_generally
from rescore.read.plugins import get_adapter
from rescore.read.sources import SourceInfo

from .conftest import examples
from .test_batch import _board
from .test_lm_eval_fast import _fast, _general, _line, _results, _sorted, _write

DETECTOR = AbstentionDetector.from_config()

_WORD_GRADES = ["correct", "incorrect", "invalid", "CORRECT", "Wrong", "partial", "maybe", "", " ", None]
_GRADES = {  # one Arrow type per column: (type, clean values, any values)
    "string": (pa.string(), _WORD_GRADES[:4], _WORD_GRADES),
    "bool": (pa.bool_(), [True, False], [True, False, None]),
    "int": (pa.int64(), [0, 1], [0, 1, 2, None]),
    "float": (pa.float64(), [0.0, 1.0], [0.0, 1.0, 0.5, None, float("nan")]),
}
_MOSTLY = st.sampled_from([True, True, True, False])  # (draws of a boolean favour False)
_TEXTS = ["B", "", "  ", None, "I don't know", "I'm not sure.", "Je ne sais pas", "[invalid]", "The answer is (C)."]


@st.composite
def graded_tables(draw: Any) -> pa.Table:
    n = draw(st.integers(1, 30))
    columns: dict[str, pa.Array] = {}
    if draw(_MOSTLY):  # a file without one is left to the general reader
        columns["model"] = pa.array(draw(st.lists(st.sampled_from(["org/m1", "m2", "", None]), min_size=n,
                                                  max_size=n)), pa.string())
    if draw(st.booleans()):
        columns[draw(st.sampled_from(["benchmark", "task"]))] = pa.array(
            draw(st.lists(st.sampled_from(["mmlu_pro_law", "gpqa_main_zeroshot", "b", None]), min_size=n,
                          max_size=n)), pa.string())
    if draw(st.booleans()):
        columns["category"] = pa.array(draw(st.lists(st.sampled_from(["c1", "c2", "", None]), min_size=n,
                                                     max_size=n)), pa.string())
    if draw(_MOSTLY):
        ids = draw(st.lists(st.integers(0, 3 * n), min_size=n, max_size=n, unique=draw(st.booleans())))
        as_text = draw(st.booleans())
        values = [str(i) for i in ids] if as_text else ids
        if not draw(_MOSTLY):
            values[draw(st.integers(0, n - 1))] = None
        columns[draw(st.sampled_from(["item_id", "question_id", "id"]))] = pa.array(
            values, pa.string() if as_text else pa.int64())
    for name in draw(st.lists(st.sampled_from(["outcome", "is_correct", "grade", "score"]), min_size=1, max_size=2,
                              unique=True)):
        kind, clean, anything = _GRADES[draw(st.sampled_from(sorted(_GRADES)))]
        values = clean if draw(_MOSTLY) else anything
        columns[name] = pa.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)), kind,
                                 from_pandas=True)
    for name in draw(st.lists(st.sampled_from(["prediction", "response"]), max_size=2, unique=True)):
        columns[name] = pa.array(draw(st.lists(st.sampled_from(_TEXTS), min_size=n, max_size=n)), pa.string())
    return pa.table(columns)


@settings(max_examples=examples(60, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=graded_tables(), dictionary=st.booleans(), model=st.sampled_from([None, "given/model"]),
       benchmark=st.sampled_from([None, "given_bench"]),
       correct_col=st.sampled_from([None, "score", "grade", "a name of its own"]),
       batch_size=st.sampled_from([50_000, 1, 7]), row_group_size=st.sampled_from([None, 5]))
def test_parquet_fast_path_answers_only_as_the_general_reader_does(tmp_path: Path, table: pa.Table, dictionary: bool,
                                                                   model: str | None, benchmark: str | None,
                                                                   correct_col: str | None, batch_size: int,
                                                                   row_group_size: int | None) -> None:
    """Small batches and row groups stand in for big files: the general reader then judges the
    columns on its first batch and checks keys batch by batch, as it does past 50,000 rows."""
    if correct_col == "a name of its own":  # a grade column only the mapping names
        graded = [c for c in ("outcome", "is_correct", "grade", "score") if c in table.column_names]
        correct_col = "verdict_2026"
        table = table.rename_columns([correct_col if c == graded[0] else c for c in table.column_names])
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path, use_dictionary=dictionary, row_group_size=row_group_size)
    if correct_col not in table.column_names:
        correct_col = None  # (a mapped column that is missing is refused before any reading)
    options = LoadOptions(need_items=False, model=model, benchmark=benchmark, correct_col=correct_col,
                          batch_size=batch_size)
    fast_info = SourceInfo(str(path), adapter="generic")
    try:
        fast = count_generic_parquet(path, options, DETECTOR, fast_info)
    except InputError as refused:  # it names a repeated key itself: as the general reader does
        with pytest.raises(InputError) as general:
            count_generally(path, get_adapter("generic"), options, DETECTOR)
        assert str(refused) == str(general.value)
        event("a repeated key, named by both")
        return
    if fast is None:
        event("left to the general reader")
        return  # nothing to compare
    event("counted by the fast path")
    _agrees_with_the_general_reader(fast, fast_info, path, options)


def _agrees_with_the_general_reader(fast, fast_info: SourceInfo, path: Path, options: LoadOptions) -> None:
    """A file the generic fast path counted: the general reader must accept it and give the same
    counts, row total, notes and key hashes."""
    try:
        counter, _, info = count_generally(path, get_adapter("generic"), options, DETECTOR)
    except InputError as exc:
        raise AssertionError(f"the fast path counted a file the general reader refuses: {exc}") from exc
    assert _sorted(fast.table).equals(_sorted(counter.result()))
    assert fast.rows == counter.rows
    assert fast_info.notes == info.notes
    if fast.keys is not None:
        assert fast.keys.tolist() == counter.keys().tolist()


_ANSWERS = ["B", "b", " B ", "(B)", "C", "the cat", "Cat", "", None, "I don't know", "i don't know.", "42", "4.2"]
_CONFIDENCES = {  # one Arrow type per column
    "float": (pa.float64(), [0.0, 0.5, 1.0, None, float("nan"), 0.9], [0.5, 85.0, -0.1, 150.0, float("inf")]),
    "string": (pa.string(), ["0.5", "85%", " 0.2 ", None, "high", ""], ["maybe", "0.5", "101"]),
}


@st.composite
def ungraded_tables(draw: Any) -> pa.Table:
    """The ordinary table (issue 18): prediction and gold, no grade column; sometimes a confidence."""
    n = draw(st.integers(1, 30))
    texts = st.lists(st.sampled_from(_ANSWERS), min_size=n, max_size=n)
    columns: dict[str, pa.Array] = {"model": pa.array(draw(st.lists(st.sampled_from(["org/m1", "m2"]), min_size=n,
                                                                    max_size=n)), pa.string())}
    ids = draw(st.lists(st.integers(0, 3 * n), min_size=n, max_size=n, unique=draw(_MOSTLY)))
    columns["item_id"] = pa.array([str(i) for i in ids], pa.string())
    columns[draw(st.sampled_from(["pred", "prediction"]))] = pa.array(draw(texts), pa.string())
    columns[draw(st.sampled_from(["answer", "gold"]))] = pa.array(draw(texts), pa.string())
    if draw(st.booleans()):
        columns["response"] = pa.array(draw(st.lists(st.sampled_from(_TEXTS), min_size=n, max_size=n)), pa.string())
    if draw(st.booleans()):
        kind, clean, bad = _CONFIDENCES[draw(st.sampled_from(sorted(_CONFIDENCES)))]
        values = clean if draw(_MOSTLY) else clean + bad
        columns["confidence"] = pa.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)), kind,
                                         from_pandas=True)
    return pa.table(columns)


@settings(max_examples=examples(50, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=ungraded_tables(), dictionary=st.booleans(), batch_size=st.sampled_from([50_000, 1, 7]),
       row_group_size=st.sampled_from([None, 5]))
def test_ungraded_parquet_fast_path_answers_only_as_the_general_reader_does(
        tmp_path: Path, table: pa.Table, dictionary: bool, batch_size: int, row_group_size: int | None) -> None:
    """Prediction vs gold on distinct values, and the confidence check, give the general reader's counts."""
    path = tmp_path / "answers.parquet"
    pq.write_table(table, path, use_dictionary=dictionary, row_group_size=row_group_size)
    options = LoadOptions(need_items=False, batch_size=batch_size)
    fast_info = SourceInfo(str(path), adapter="generic")
    try:
        fast = count_generic_parquet(path, options, DETECTOR, fast_info)
    except InputError as refused:
        with pytest.raises(InputError) as general:
            count_generally(path, get_adapter("generic"), options, DETECTOR)
        assert str(refused) == str(general.value)
        return
    if fast is None:
        event("left to the general reader")
        return
    event("counted by the fast path")
    counter, _, info = count_generally(path, get_adapter("generic"), options, DETECTOR)
    assert _sorted(fast.table).equals(_sorted(counter.result()))
    assert fast.rows == counter.rows
    assert fast_info.notes == info.notes
    if fast.keys is not None:
        assert fast.keys.tolist() == counter.keys().tolist()


# -- CSV/TSV and JSONL through Arrow's readers (issue 18, point 2) --------------------------------


def _write_text(table: pa.Table, path: Path) -> None:
    """The table as the file a user would have: CSV/TSV with a header (nulls empty), or one JSON object a line."""
    import json

    import pyarrow.csv as pacsv

    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()), encoding="utf-8")
    else:
        delimiter = "," if path.suffix == ".csv" else "\t"
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(delimiter=delimiter))


@settings(max_examples=examples(50, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.one_of(graded_tables(), ungraded_tables()), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]),
       batch_size=st.sampled_from([50_000, 1, 7]))
def test_text_fast_path_answers_only_as_the_general_reader_does(tmp_path: Path, table: pa.Table, suffix: str,
                                                                batch_size: int) -> None:
    """A CSV/TSV or JSONL table counted through pyarrow.csv / pyarrow.json gives the general
    reader's counts, notes and key hashes, or is left to the general reader (never its own error)."""
    from rescore.adapters.generic.fast_text import count_generic_text

    path = tmp_path / f"answers{suffix}"
    _write_text(table, path)
    options = LoadOptions(need_items=False, batch_size=batch_size)
    fast_info = SourceInfo(str(path), adapter="generic")
    fast = count_generic_text(path, options, DETECTOR, fast_info)  # never raises: errors are the general path's
    if fast is None:
        event("left to the general reader")
        return
    event("counted by the fast path")
    _agrees_with_the_general_reader(fast, fast_info, path, options)


# -- lm-eval generation samples ------------------------------------------------------------------

_PREDICTIONS = ["B", "C", "[invalid]", "", "  ", "I don't know", "Je ne sais pas", None]  # None: no prediction
_RAW = ["The answer is (B).", "I don't know.", "", "Probably C, unsure", "Réponse : (D)"]
_METRICS = [1.0, 0.0, True, False, 1, 0, 0.5, None]  # None: the key is missing
_CATEGORIES = ["law", "math", 7, "7", None]


@st.composite
def generation_lines(draw: Any) -> dict[str, Any]:
    metric = draw(st.sampled_from(_METRICS[:6] if draw(_MOSTLY) else _METRICS))
    prediction = draw(st.sampled_from(_PREDICTIONS[:-1] if draw(_MOSTLY) else _PREDICTIONS))
    line = _line(0, prediction, draw(st.sampled_from(_RAW)), metric,
                 filter_name=draw(st.sampled_from(["strict-match", "strict-match", "flexible-extract"])))
    line["doc"]["category"] = draw(st.sampled_from(_CATEGORIES))
    if not draw(_MOSTLY):
        line["exact_match_original"] = draw(st.sampled_from(_METRICS[:4]))
    if not draw(_MOSTLY):
        line["resps"] = draw(st.sampled_from(["I don't know.", [[None]], [], [["I don't know", 3]]]))
    return line


def _damage(lines: list[bytes], how: str) -> list[bytes]:
    """Lines a broken writer leaves: joined, split inside an object, blank, truncated (the last lines)."""
    if how == "two on a line" and len(lines) > 2:  # (not on the first line: that one is read on its own first)
        return [*lines[:-2], lines[-2] + b" " + lines[-1]]
    if how == "split inside an object" and len(lines) > 1 and b' "doc": ' in lines[-1]:
        head, rest = lines[-1].split(b' "doc": ', 1)
        return [*lines[:-1], head + b' "doc":', rest]
    if how == "blank line":
        return [lines[0], b"", *lines[1:]]
    if how == "truncated":
        return [*lines[:-1], lines[-1][:60]]
    return lines


def _quirk(lines: list[bytes], how: str | None) -> list[bytes]:
    """Valid JSON that other writers produce: a BOM, escapes, a key given twice, NaN."""
    last = lines[-1]
    if how == "byte order mark":
        return [b"\xef\xbb\xbf" + lines[0], *lines[1:]]
    if how == "escaped text":
        last = last.replace(b'"filtered_resps": ["', b'"filtered_resps": ["\\u0042')
    elif how == "key given twice":
        last = last.replace(b'"doc_id": ', b'"exact_match": 0.5, "doc_id": ')
    elif how == "NaN":
        last = last.replace(b'"exact_match": 0.0', b'"exact_match": NaN')
    return [*lines[:-1], last]


@settings(max_examples=examples(100, 200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(generation_lines(), min_size=1, max_size=20),
       damage=st.sampled_from([(), (), ("two on a line",), ("split inside an object",), ("blank line",), ("truncated",),
                               ("two on a line", "split inside an object"), ("blank line", "two on a line")]),
       newline=st.sampled_from([b"\n", b"\r\n"]), listed_filters=st.booleans(),
       task=st.sampled_from(["synth_gen", "mmlu_pro"]), filter_name=st.sampled_from([None, "flexible-extract"]),
       ids=st.sampled_from(["0..n-1", "0..n-1", "one repeated", "numeric strings", "sparse", "huge", "negative",
                            "float"]),
       quirk=st.sampled_from([None, None, None, "byte order mark", "escaped text", "key given twice", "NaN"]))
def test_lm_eval_fast_path_answers_only_as_the_general_reader_does(
        tmp_path: Path, rows: list[dict[str, Any]], damage: tuple[str, ...], newline: bytes, listed_filters: bool,
        task: str, filter_name: str | None, ids: str, quirk: str | None) -> None:
    for i, row in enumerate(rows):  # (a line's filter pair shares its doc_id: lm-eval writes one line per filter)
        number = i // 2 if row["filter"] != rows[0]["filter"] else i
        row["doc_id"] = {"numeric strings": str(number), "sparse": number * 1_000_003, "huge": number + 2**64,
                         "negative": -number, "float": number + 0.5}.get(ids, number)
    if ids == "one repeated" and len(rows) > 1:
        rows[-1]["doc_id"] = rows[0]["doc_id"]
    folder = tmp_path / "org__model-x"
    for old in folder.glob("*.json*") if folder.exists() else []:
        old.unlink()
    results = _results(["strict-match", "flexible-extract"], len(rows)) if listed_filters else None
    path = _write(folder, rows, name=f"samples_{task}_2026-11-23T18-00-00.1.jsonl", results=results)
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    for how in damage:  # (two together may leave as many values as lines: only the line check tells)
        lines = _damage(lines, how)
    lines = _quirk(lines, quirk)
    path.write_bytes(newline.join(lines) + newline)
    try:
        fast, fast_info = _fast(path, filter_name=filter_name)
    except InputError as refused:  # e.g. a filter asked for that the file does not have
        with pytest.raises(InputError) as general:
            _general(path, filter_name=filter_name)
        assert str(refused) == str(general.value)
        event("refused by both")
        return
    try:
        counter, info = _general(path, filter_name=filter_name)
    except InputError as exc:
        assert fast is None, f"the fast path counted a file the general reader refuses: {exc}"
        event("refused by the general reader")
        return
    if fast is None:
        event("left to the general reader")
        return
    event("counted by the fast path")
    assert _sorted(fast.table).equals(_sorted(counter.result()))
    assert fast.rows == counter.rows
    assert fast_info.notes == info.notes


# -- counts mode against item mode ---------------------------------------------------------------

@st.composite
def generic_rows(draw: Any) -> pd.DataFrame:
    """A graded generic table: several models and benchmarks, subsets, maybe repeated attempts, a
    cluster column and confidences, texts that abstain, grades of one kind per file."""
    n_items = draw(st.integers(1, 12))
    attempts = draw(st.sampled_from([1, 1, 3]))
    grades = draw(st.sampled_from([["correct", "incorrect", "invalid", "partial"], [1, 0], [1.0, 0.0, 0.5]]))
    rows = []
    for model in draw(st.lists(st.sampled_from(["org/m1", "m2", "m3"]), min_size=1, max_size=3, unique=True)):
        for benchmark in draw(st.lists(st.sampled_from(["mmlu_pro_law", "gpqa_main_zeroshot", "simpleqa"]),
                                       min_size=1, max_size=2, unique=True)):
            for item in range(n_items):
                for attempt in range(attempts):
                    rows.append({"model": model, "task": benchmark, "question_id": item, "attempt": attempt,
                                 "category": f"c{item % 3}", "cluster": f"p{item // 4}",
                                 "grade": draw(st.sampled_from(grades)),
                                 "confidence": draw(st.sampled_from([0.2, 0.9])),
                                 "response": draw(st.sampled_from(_TEXTS[:1] + _TEXTS[4:]))})
    frame = pd.DataFrame(rows)
    drop = ["attempt"] if attempts == 1 and draw(st.booleans()) else []
    drop += [] if draw(st.booleans()) else ["cluster"]
    drop += [] if draw(st.booleans()) else ["confidence"]
    return frame.drop(columns=drop)


def _write_table(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


@settings(max_examples=examples(16, 40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=generic_rows(), suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]),
       batch_size=st.sampled_from([50_000, 7]))
def test_counts_mode_gives_the_item_mode_leaderboard_on_random_tables(tmp_path: Path, frame: pd.DataFrame,
                                                                     suffix: str, batch_size: int) -> None:
    path = _write_table(frame, tmp_path / f"runs{suffix}")
    try:
        items = rescore.load(path, batch_size=batch_size)
    except InputError as exc:
        with pytest.raises(InputError) as counted_error:
            rescore.load(path, need_items=False, batch_size=batch_size)
        assert str(counted_error.value) == str(exc)
        event("refused in both modes")
        return
    counted = rescore.load(path, need_items=False, batch_size=batch_size)
    event("read in both modes")
    for a, b in zip(_board(items), _board(counted), strict=True):
        pd.testing.assert_frame_equal(a, b)
    explain_items = rescore.leaderboard(items, [0.0]).explain
    explain_counts = rescore.leaderboard(counted, [0.0]).explain
    pd.testing.assert_frame_equal(explain_items.astype(str), explain_counts.astype(str))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("blanks", [600, 0])
def test_a_gold_column_judged_past_the_fast_paths_head_is_judged_as_the_general_reader_does(
        tmp_path: Path, suffix: str, blanks: int) -> None:
    """The fast paths judge a Parquet or CSV file's columns on its first 1,000 rows, the general
    reader on its first batch (50,000). A gold column whose first 1,000 rows hold mostly blanks is
    judged on 1,000 non-blank values there: here 400 short answers and then 600 long replies, so
    the general reader takes it for the model's own text (not a gold answer) and refuses the file,
    where the head alone would have kept it. The fast path must see that its head lacked the whole
    sample: the CSV path judges the whole first batch then, the Parquet path leaves the file to the
    general reader. Without blanks the head holds the sample, the gold stays and both count alike."""
    n = 1600
    long_reply = "Considering each option in turn the first two are ruled out, so the answer is B"
    answer = ["" if i < blanks else ("B" if i < 1000 else long_reply) for i in range(n)]
    table = pa.table({"model": ["m"] * n, "benchmark": ["b"] * n, "item_id": [str(i) for i in range(n)],
                      "prediction": ["B"] * n, "answer": answer})
    path = tmp_path / f"runs{suffix}"
    if suffix == ".csv":
        table.to_pandas().to_csv(path, index=False)
    else:
        pq.write_table(table, path)
    options = LoadOptions(need_items=False)
    fast_info = SourceInfo(str(path), adapter="generic")
    fast = count_generic_table(path, options, DETECTOR, fast_info)
    if blanks:
        assert fast is None  # the general reader finds no gold to compare and says so
        with pytest.raises(InputError, match="no correctness column and no prediction"):
            count_generally(path, get_adapter("generic"), options, DETECTOR)
    else:
        assert fast is not None
        _agrees_with_the_general_reader(fast, fast_info, path, options)


# -- a JSONL head shorter than the first batch (its keys and dtypes checked against Arrow's read) --

_LATE = ["a key first seen late", "a null in an int column", "a fraction in a whole-number column",
         "a null in a bool column", "a null in a text column", "nothing"]


@st.composite
def flat_rows(draw: Any) -> list[dict[str, Any]]:
    """A flat JSON table of 10-40 rows (more than the patched head): model, ids, answers, and
    sometimes a grade, a confidence or a column of plain values of one kind."""
    n = draw(st.integers(10, 40))
    as_text = draw(st.booleans())
    grade = draw(st.sampled_from([None, *sorted(_GRADES)]))
    extra = draw(st.sampled_from([None, [1, 2, 3], [True, False], [0.25, 1.0], ["x", "y"]]))
    rows = []
    for i in range(n):
        answers = st.sampled_from(_ANSWERS[:8])
        row: dict[str, Any] = {"model": draw(st.sampled_from(["m1", "m2"])), "item_id": str(i) if as_text else i,
                               "pred": draw(answers), "answer": draw(answers)}
        if grade is not None:
            row["grade"] = draw(st.sampled_from(_GRADES[grade][1]))
        if draw(st.booleans()):
            row["confidence"] = draw(st.sampled_from([0.5, 0.9, 1.0]))
        if extra is not None:
            row["flag"] = extra[i % len(extra)]
        rows.append(row)
    return rows


@settings(max_examples=examples(60, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=flat_rows(), late=st.lists(st.sampled_from(_LATE), min_size=1, max_size=2),
       batch_size=st.sampled_from([50_000, 12]), sample=st.sampled_from([3, 6]),
       late_key=st.sampled_from(["category", "confidence", "is_correct", "note"]),
       late_value=st.sampled_from(["correct", 0.5, True, "x"]))
def test_a_short_jsonl_head_judges_as_the_whole_first_batch(tmp_path: Path, rows: list[dict[str, Any]],
                                                            late: list[str], batch_size: int, sample: int,
                                                            late_key: str, late_value: Any) -> None:
    """The JSONL fast path judges the roles on the first GRADE_SAMPLE lines (here 3 or 6) and keeps
    that judgement only when those lines give the first batch's keys and dtypes. Rows below the head
    change a column's kind (a key seen only there, a null that turns ints to floats or bools to objects,
    a fraction among whole numbers): whatever the fast path answers must be the general reader's."""
    from unittest import mock

    from rescore.adapters.generic import columns as columns_module
    from rescore.adapters.generic.fast_text import count_generic_text

    for i, row in enumerate(rows):
        if i < sample:
            continue
        for change in late:
            if change == "a key first seen late" and late_key not in rows[0]:  # a role's column, or not
                row[late_key] = late_value
            for name, value in list(row.items()):
                if change == "a null in an int column" and type(value) is int and i % 2:
                    row[name] = None
                elif change == "a fraction in a whole-number column" and type(value) is int and i % 2:
                    row[name] = value + 0.5
                elif i % 2 and ((change == "a null in a bool column" and type(value) is bool)
                                or (change == "a null in a text column" and name in ("flag", "grade"))):
                    row[name] = None
    import json

    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    options = LoadOptions(need_items=False, batch_size=batch_size)
    fast_info = SourceInfo(str(path), adapter="generic")
    with mock.patch.object(columns_module, "GRADE_SAMPLE", sample):
        fast = count_generic_text(path, options, DETECTOR, fast_info)
        if fast is None:
            event("left to the general reader")
            return
        event("counted by the fast path")
        _agrees_with_the_general_reader(fast, fast_info, path, options)


def _numbered_jsonl(path: Path, rows: int, late: dict[str, Any] | None = None, from_row: int = 1500) -> None:
    import json

    lines = []
    for i in range(rows):
        row: dict[str, Any] = {"model": "m", "benchmark": "b", "item_id": i, "pred": "B",
                               "answer": "B" if i % 3 else "C", "confidence": 0.5 if i % 2 else 0.75}
        if late and i >= from_row:
            row.update(late)
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("late", "whole_batch_judged"), [
    (None, False),  # the head's keys and dtypes are the batch's: its judgement stands
    ({"note": "a key seen first at row 1,500"}, True),
    ({"item_id": None}, True),  # ints with a null further down: the batch's column is float
    ({"confidence": 1}, False),  # a whole number among fractions: still float64 in both
])
def test_the_jsonl_head_is_judged_again_on_the_whole_batch_only_when_it_differs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: dict[str, Any] | None, whole_batch_judged: bool) -> None:
    from rescore.adapters.generic import fast_text as fast_module

    path = tmp_path / "runs.jsonl"
    _numbered_jsonl(path, 3000, late)
    calls: list[bool] = []
    real = fast_module._judged_columns

    def spy(*args: Any, whole_batch: bool = False, **kwargs: Any) -> Any:
        calls.append(whole_batch)
        return real(*args, whole_batch=whole_batch, **kwargs)

    monkeypatch.setattr(fast_module, "_judged_columns", spy)
    options = LoadOptions(need_items=False)
    fast_info = SourceInfo(str(path), adapter="generic")
    fast = fast_module.count_generic_text(path, options, DETECTOR, fast_info)
    assert calls == ([False, True] if whole_batch_judged else [False])
    if fast is not None:
        _agrees_with_the_general_reader(fast, fast_info, path, options)
    else:
        assert late == {"item_id": None}  # a missing item id: the general reader names the line
